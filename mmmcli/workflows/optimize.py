"""``mmm optimize``: allocate a budget with a finished run's response model.

Reads only the run folder (``response.nc``, the manifest and the resolved config): no data file,
no PyMC model, no compile; so it answers in seconds and keeps answering after the data moved on.
The recommendation goes to ``<dir>/<name>/optimize-<timestamp>/``, beside the run, and like a
run folder it appears complete or not at all.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..analysis.compare import resolve_run
from ..decisions.allocate import allocate
from ..decisions.response import FILE, ResponseModel
from ..errors import UsageError
from ..runs.folder import side_folder
from ..runs.writers import write_allocation
from ..spec.config import Optimize, both_kinds, bound_problem
from ..spec.messages import error_text

LimitSpec = dict[str, tuple[float | None, float | None]]


def optimize(
    run: Path,
    *,
    budget: float | None = None,
    periods: int | None = None,
    pattern: str | None = None,
    quantile: float | None = None,
    bounds: LimitSpec | None = None,
    spend_bounds: LimitSpec | None = None,
    allow_failed: bool = False,
) -> dict[str, Any]:
    """Allocate for the run at ``run``; options left None come from the run's ``optimize:``
    config block when it has one. Raises UsageError (exit 2) on a bad request."""
    run_dir = resolve_run(run)
    manifest = _json(run_dir / "manifest.json")
    resolved = _resolved(run_dir)
    status = manifest.get("status")
    request = _request(
        resolved.get("optimize") or {},
        budget=budget,
        periods=periods,
        pattern=pattern,
        quantile=quantile,
        bounds=bounds,
        spend_bounds=spend_bounds,
        allow_failed=allow_failed or None,
    )
    if status != "passed" and not (allow_failed or request.allow_failed):
        why = "failed its convergence checks" if status == "failed" else f"is {status}"
        raise UsageError(
            f"{run_dir}: the run {why}; its curves are not a basis for a budget "
            f"(--allow-failed to optimize it anyway)"
        )
    model = ResponseModel.load(run_dir / FILE)
    prob = float(resolved.get("hdi_prob", 0.94))
    allocation = allocate(model, request, prob)
    name = str(resolved.get("name", run_dir.parent.name))
    with side_folder(run_dir.parent, "optimize-") as folder:
        write_allocation(folder.path, allocation, request.model_dump(), run_dir, name)
    return {
        "command": "optimize",
        "status": "ok",
        "exit_code": 0,
        "run_dir": str(folder.final),
        "source_run": str(run_dir),
        "source_status": status,
        "kind": model.kind,
        **allocation.summary,
        "allocation": allocation.table.to_dict(orient="records"),
        "warnings": allocation.warnings,
    }


def _request(configured: dict, **given: Any) -> Optimize:
    """The config's ``optimize:`` block overridden by the options given; one line on error.

    The options are checked as given before they are merged, with the block's own rules
    (``spec.config``): the merge lets a channel bounded on the command line drop its configured
    bound of the other kind, which must not also swallow a command line that gives both.
    Bounds merge per channel (a channel bounded on the command line loses its configured
    bounds of either kind). A budget in the config is for its own number of periods: with
    another ``--periods`` and no ``--budget``, the budget is the recent spend of those periods.
    Every option given ends up in the request, so ``optimize.json`` records it.
    """
    problem = both_kinds(
        given.get("bounds") or {}, given.get("spend_bounds") or {}, ("--bounds", "--spend-bounds")
    )
    if problem:
        raise UsageError(problem)
    merged = {k: v for k, v in configured.items()}
    for key, other in (("bounds", "spend_bounds"), ("spend_bounds", "bounds")):
        for channel, span in (given.pop(key) or {}).items():
            merged.setdefault(key, {})
            merged[key] = {**merged[key], channel: span}
            merged[other] = {c: v for c, v in (merged.get(other) or {}).items() if c != channel}
    periods = given.get("periods")
    if periods is not None and periods != merged.get("periods") and given.get("budget") is None:
        merged.pop("budget", None)
    merged.update({k: v for k, v in given.items() if v is not None})
    if "periods" not in merged:
        raise UsageError("--periods is required (the run's config has no optimize block)")
    try:
        return Optimize.model_validate(merged)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = [str(p) for p in err["loc"]]
        message = error_text(err)
        if not loc:
            raise UsageError(message) from None
        option = "--" + loc[0].replace("_", "-")
        raise UsageError(f"{option}{''.join(f' {p}' for p in loc[1:2])}: {message}") from None


def _json(path: Path) -> dict:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: cannot be read ({exc})") from None
    if not isinstance(value, dict):
        raise UsageError(f"{path}: expected a JSON object")
    return value


def _resolved(run_dir: Path) -> dict:
    path = run_dir / "config.resolved.yaml"
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"{path}: cannot be read ({exc})") from None
    if not isinstance(loaded, dict) or not isinstance(loaded.get("optimize") or {}, dict):
        raise UsageError(f"{path}: not a resolved config written by mmm")
    return loaded


def parse_limits(option: str, values: list[str] | None) -> LimitSpec | None:
    """``["tv=0.5:1.5", "radio=:2"]`` -> ``{"tv": (0.5, 1.5), "radio": (None, 2.0)}``.

    Each span is checked by the rule a config's ``optimize:`` block uses (``bound_problem``);
    a channel given twice is refused, as a key given twice in a config is, rather than the last
    one silently winning.
    """
    if not values:
        return None
    out: LimitSpec = {}
    said: dict[str, str] = {}
    for value in values:
        channel, sep, span = value.partition("=")
        lo, colon, hi = span.partition(":")
        if not sep or not colon or not channel:
            raise UsageError(
                f"{option} {value!r}: expected CHANNEL=LOWER:UPPER (either may be empty)"
            )
        if channel in said:
            raise UsageError(
                f"{option} {channel}: given twice ({said[channel]!r} and {value!r}); "
                f"give each channel once"
            )
        try:
            limit = (float(lo) if lo else None, float(hi) if hi else None)
        except ValueError:
            raise UsageError(f"{option} {value!r}: {lo!r} or {hi!r} is not a number") from None
        problem = bound_problem(*limit)
        if problem:
            raise UsageError(f"{option} {channel}: {problem}")
        out[channel], said[channel] = limit, value
    return out
