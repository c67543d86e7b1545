"""What the report says, read from a run folder alone.

Everything here comes from the files a fit wrote (``manifest.json``, ``channels.csv``,
``plots/*.png``, ...), never from the trace or the data file: a report can be rebuilt years later
on another machine, and what it shows is what the run folder holds. Files a run may lack (no
calibration, no allocation, an older run) leave their section out; a damaged file is a
``UsageError`` naming it.

The result is a plain dict of display-ready values for the template: numbers are formatted here,
once, so the template holds layout only.
"""

from __future__ import annotations

import base64
import json
import math
import shlex
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..analysis.compare import DEFAULT_RTOL, compare_runs
from ..analysis.notices import (
    allocation_missing,
    check_phrases,
    failure_reasons,
    run_warnings,
    verdict,
)
from ..decisions.labels import change_label, quantile_line
from ..errors import UsageError
from ..runs.folder import RUN_NAME, completed_runs
from .attempts import attempt_rows, retry_sentence

PLOTS = "plots"
MAX_CHANGES = 12  # drifted quantities listed in the headline; the rest are counted
WORST_PARAMETERS = 8  # rows of the convergence table
# the columns each table of the run folder must have for its section
CHANNEL_COLUMNS = ("channel", "spend", "contribution_mean", "share_mean", "calibrated")
CALIBRATION_COLUMNS = (
    "source", "channel", "date_or_window", "observed", "sigma", "model_mean", "model_hdi_low",
    "model_hdi_high", "z",
)  # fmt: skip
CONFLICT_COLUMNS = (
    "parameter", "lower", "upper", "requested_mass", "posterior_mass_inside", "posterior_mean",
    "sd_ratio", "flag",
)  # fmt: skip
ALLOCATION_COLUMNS = ("channel", "recent_spend", "recommended_spend", "response_mean")


class RunFiles:
    """Read access to one run folder; each reader names the file when it cannot parse it."""

    def __init__(self, path: Path):
        self.path = path

    def _read(self, name: str, parse: Any) -> Any:
        path = self.path / name
        if not path.is_file():
            return None
        try:
            return parse(path)
        except (OSError, ValueError, UnicodeDecodeError, yaml.YAMLError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise UsageError(f"{path}: cannot be read for the report ({first})") from None

    def json(self, name: str) -> dict | None:
        found = self._read(name, lambda p: json.loads(p.read_text(encoding="utf-8")))
        if found is not None and not isinstance(found, dict):
            raise UsageError(f"{self.path / name}: expected a JSON object")
        return found

    def csv(self, name: str, columns: tuple[str, ...] = ()) -> pd.DataFrame | None:
        """The table, or None when absent; ``columns`` it must have (named when missing)."""
        table = self._read(name, pd.read_csv)
        missing = [c for c in columns if table is not None and c not in table.columns]
        if missing:
            raise UsageError(f"{self.path / name}: no column {', '.join(missing)}")
        return table

    def yaml(self, name: str) -> dict | None:
        return self._read(name, lambda p: yaml.safe_load(p.read_text(encoding="utf-8")))

    def text(self, name: str) -> str | None:
        return self._read(name, lambda p: p.read_text(encoding="utf-8"))

    def image(self, name: str) -> str | None:
        """A PNG of ``plots/`` as a data URI (inline: the report needs no other file)."""
        raw = self._read(f"{PLOTS}/{name}", lambda p: p.read_bytes())
        if raw is None:
            return None
        if not raw.startswith(b"\x89PNG"):
            raise UsageError(f"{self.path / PLOTS / name}: not a PNG image")
        return "data:image/png;base64," + base64.b64encode(raw).decode("ascii")


# --- numbers -------------------------------------------------------------------------------------


def num(value: Any, digits: int = 3) -> str:
    """A figure for a table: thousands separated, ``digits`` significant digits below 1,000,
    a dash when missing."""
    if value is None or isinstance(value, str):
        return value or "–"
    x = float(value)
    if not math.isfinite(x):
        return "–"
    if abs(x) >= 10 ** (digits - 1) or x == int(x) and abs(x) >= 1:
        return f"{x:,.0f}"
    return f"{x:,.{digits}g}"


def pct(value: Any, decimals: int = 1) -> str:
    if value is None or not math.isfinite(float(value)):
        return "–"
    return f"{float(value):.{decimals}%}"


def interval(low: Any, high: Any, fmt: Any = num) -> str:
    return f"[{fmt(low)}, {fmt(high)}]"


# --- the report ----------------------------------------------------------------------------------


def report_context(run: Path) -> dict[str, Any]:
    """The values the template shows for the run folder ``run``."""
    files = RunFiles(run)
    manifest = files.json("manifest.json")
    channels = files.csv("channels.csv", CHANNEL_COLUMNS)
    if manifest is None or channels is None:
        raise UsageError(f"{run}: not a run folder (expected manifest.json and channels.csv)")
    diag = files.json("diagnostics.json") or {}
    metrics = files.json("metrics.json") or {}
    config = files.yaml("config.resolved.yaml") or {}
    calibration = files.csv("calibration.csv", CALIBRATION_COLUMNS)
    conflicts = files.csv("prior_conflict.csv", CONFLICT_COLUMNS)
    kinds = [k for k in ("roas", "cpa") if f"{k}_mean" in channels]
    if len(kinds) != 1:
        raise UsageError(f"{run / 'channels.csv'}: expected either roas_* or cpa_* columns")
    kind = kinds[0]
    status = str(manifest.get("status", "unknown"))
    name = str(config.get("name") or Path(str(manifest.get("run_dir", run))).parent.name)
    run_id = Path(str(manifest.get("run_dir") or run)).name
    allocation = _allocation(files, run, kind)
    missing = None
    if config.get("optimize") and allocation is None and status != "passed":
        missing = allocation_missing(status)
    warnings = [
        *manifest.get("warnings", []),
        *run_warnings(calibration, conflicts, metrics.get("loo")),
        *(allocation["warnings"] if allocation else []),
        *([missing] if missing else []),
    ]
    return {
        "title": f"{name} · {run_id}",
        "name": name,
        "run_id": run_id,
        "status": status,
        "headline": _headline(manifest, config, metrics, status),
        "failure": _failure(diag) if status == "failed" else None,
        "verdict": verdict({**diag, "status": status}) if diag else None,
        "changes": _changes(run, run_id),
        "warnings": warnings,
        "kind": kind,
        "metric": "ROAS" if kind == "roas" else "CPA",
        "channels": _channel_rows(channels, kind),
        "has_marginal": f"m{kind}_mean" in channels,
        "media_share": _media_share(metrics),
        "fit": _fit_metrics(metrics),
        "loo": _loo(metrics.get("loo")),
        "images": {
            key: files.image(f"{key}.png")
            for key in (
                "fit",
                "contributions",
                "channel_efficiency",
                "coefficients",
                "response_curves",
            )
        },
        "allocation": allocation,
        "calibration": _calibration(calibration),
        "conflicts": _conflicts(conflicts),
        "priors": _priors(files.csv("priors.csv")),
        "diagnostics": _diagnostics(diag, files.csv("posterior_summary.csv")),
        "attempts": attempt_rows(manifest.get("attempts")),
        "reproduce": _reproduce(manifest),
        "config_text": files.text("config.resolved.yaml"),
    }


def _headline(manifest: dict, config: dict, metrics: dict, status: str) -> dict[str, Any]:
    data = manifest.get("data") or {}
    target = config.get("target") or {}
    holdout = metrics.get("holdout") or {}
    refresh = manifest.get("refresh") or {}
    said = {
        "passed": "Passed its convergence checks: the figures below can be acted on.",
        "failed": "Failed its convergence checks: the figures below are for diagnosis only.",
        "unchecked": "Not checked (--quick): a smoke run, not a result.",
    }
    return {
        "said": said.get(status, f"Status: {status}."),
        "started": str(manifest.get("started_at", ""))[:19].replace("T", " "),
        "finished": str(manifest.get("finished_at", ""))[:19].replace("T", " "),
        "data_start": data.get("start"),
        "data_end": data.get("end"),
        "rows": data.get("rows"),
        "fitted_rows": data.get("fitted_rows"),
        "holdout_start": holdout.get("start"),
        "holdout_rows": holdout.get("n"),
        "target": target.get("column"),
        "target_kind": target.get("kind"),
        "channels": list((config.get("channels") or {}).keys()),
        "data_path": data.get("path"),
        "refreshed_from": refresh.get("from"),
        "exit_code": manifest.get("exit_code"),
        "retry": retry_sentence(manifest.get("attempts")),
    }


def _failure(diag: dict) -> dict[str, Any]:
    """Why a failed fit failed and what to do: the console's last lines, at the top."""
    found = diag.get("diagnosis") or {}
    return {"reasons": failure_reasons(diag), "advice": list(found.get("advice") or [])}


def previous_passing(run: Path, run_id: str) -> Path | None:
    """The newest run beside ``run`` that passed its checks and started before it."""
    for candidate in reversed(completed_runs(run.parent)):
        if candidate.name >= run_id or candidate.resolve() == run.resolve():
            continue
        try:
            manifest = json.loads((candidate / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a damaged neighbour is not a baseline
        if isinstance(manifest, dict) and manifest.get("status") == "passed":
            return candidate
    return None


def _changes(run: Path, run_id: str) -> dict[str, Any]:
    """What moved since the previous passing run (``mmm compare``'s rows and verdict)."""
    if not RUN_NAME.fullmatch(run_id):
        return {"baseline": None, "why": "not in a runs folder: nothing to compare with"}
    baseline = previous_passing(run, run_id)
    if baseline is None:
        return {"baseline": None, "why": "no run of this config passed its checks before this one"}
    try:
        result = compare_runs(run, baseline)
    except UsageError as exc:
        return {"baseline": baseline.name, "why": f"cannot be compared: {exc}"}
    drifted = [r for r in result.rows if r["drifted"]]
    informational = [r for r in result.rows if r.get("informational")]
    return {
        "baseline": baseline.name,
        "why": None,
        "rtol": DEFAULT_RTOL,
        "compared": len(result.rows),
        "drifted_count": len(drifted),
        "drifted": [_change_row(r) for r in drifted[:MAX_CHANGES]],
        "more": max(0, len(drifted) - MAX_CHANGES),
        "informational": [_change_row(r) for r in informational],
        "notes": result.notes,
    }


def _change_row(row: dict) -> dict[str, str]:
    change = row.get("rel_change")
    detail = row.get("dates_drifted") or row.get("direction") or row.get("change") or ""
    return {
        "quantity": str(row["quantity"]),
        "of": str(row["channel_or_component"]),
        "baseline": num(row.get("baseline"), 4),
        "current": num(row.get("current"), 4),
        "change": "" if change is None else f"{change:+.1%}",
        "detail": str(detail),
    }


def _channel_rows(channels: pd.DataFrame, kind: str) -> list[dict[str, str]]:
    rows = []
    for r in channels.to_dict(orient="records"):
        marginal = f"m{kind}"
        rows.append(
            {
                "channel": str(r["channel"]),
                "calibrated": "" if r.get("calibrated") in (None, "none") else r["calibrated"],
                "spend": num(r.get("spend")),
                "contribution": num(r.get("contribution_mean")),
                "contribution_hdi": interval(
                    r.get("contribution_hdi_low"), r.get("contribution_hdi_high")
                ),
                "share": pct(r.get("share_mean")),
                "metric": num(r.get(f"{kind}_mean")),
                "metric_hdi": interval(r.get(f"{kind}_hdi_low"), r.get(f"{kind}_hdi_high")),
                "marginal": num(r.get(f"{marginal}_mean")),
                "marginal_hdi": interval(
                    r.get(f"{marginal}_hdi_low"), r.get(f"{marginal}_hdi_high")
                ),
            }
        )
    return rows


def _media_share(metrics: dict) -> str | None:
    share = metrics.get("media_share")
    if not share:
        return None
    return (
        f"The channels together explain {pct(share.get('mean'))} of the target over the fitted "
        f"periods ({pct(share.get('hdi_prob'), 0)} HDI {pct(share.get('hdi_low'))} to "
        f"{pct(share.get('hdi_high'))})."
    )


def _fit_metrics(metrics: dict) -> list[dict[str, str]]:
    """In-sample and holdout accuracy, with the predictive intervals' coverage."""
    rows = []
    for key, label in (("in_sample", "fitted periods"), ("holdout", "holdout")):
        m = metrics.get(key)
        if not m:
            continue
        pred = m.get("predictive") or {}
        rows.append(
            {
                "label": label,
                "n": num(m.get("n")),
                "r2": num(m.get("r2"), 3),
                "mape": pct(m.get("mape")),
                "nrmse": num(m.get("nrmse"), 3),
                "coverage_50": pct(pred.get("coverage_50"), 0),
                "coverage_94": pct(pred.get("coverage_94"), 0),
                "crps": num(pred.get("crps")),
            }
        )
    return rows


def _loo(loo: dict | None) -> str | None:
    if not loo:
        return None
    return (
        f"ELPD-LOO {num(loo.get('elpd_loo'), 4)} (se {num(loo.get('se'))}), effective "
        f"parameters p_loo {num(loo.get('p_loo'))}; {num(loo.get('pareto_k_above'))} of "
        f"{num(loo.get('n'))} periods with Pareto k above {num(loo.get('pareto_k_threshold'), 2)} "
        f"(max {num(loo.get('pareto_k_max'), 2)})."
    )


def _allocation(files: RunFiles, run: Path, kind: str) -> dict[str, Any] | None:
    """The run's own allocation (its config's ``optimize:`` block), else the newest
    ``mmm optimize`` folder made from it."""
    source, where = files, None
    if not (run / "allocation.csv").is_file():
        made = _optimize_folder(run)
        if made is None:
            return None
        source, where = RunFiles(made), made.name
    table = source.csv("allocation.csv", ALLOCATION_COLUMNS)
    summary = source.json("optimize.json")
    if table is None or summary is None:
        return None
    marginal = "mroas" if kind == "roas" else "mcpa"
    rows = [
        {
            "channel": str(r["channel"]),
            "recent": num(r.get("recent_spend")),
            "recommended": num(r.get("recommended_spend")),
            "change": change_label(r["recent_spend"], r["recommended_spend"]),
            "response": num(r.get("response_mean"), 4),
            "response_hdi": interval(r.get("response_hdi_low"), r.get("response_hdi_high")),
            "marginal": num(r.get(f"{marginal}_mean")),
        }
        for r in table.to_dict(orient="records")
    ]
    s = summary
    quantile = quantile_line(s)
    return {
        "folder": where,
        "rows": rows,
        "marginal": marginal[1:].upper(),
        "image": source.image("allocation.png"),
        "said": (
            f"{num(s.get('budget'))} over {s.get('periods')} periods from "
            f"{s.get('first_period')} ({s.get('objective')} of the response): expected response "
            f"{num(s.get('response_mean'), 4)} against {num(s.get('baseline_response_mean'), 4)} "
            f"with the recent mix at the same budget; gain {num(s.get('gain_mean'), 4)} "
            f"({pct(s.get('hdi_prob'), 0)} HDI {num(s.get('gain_hdi_low'), 4)} to "
            f"{num(s.get('gain_hdi_high'), 4)}), P(gain > 0) = "
            f"{num(s.get('gain_probability_positive'), 2)}." + (f" {quantile}." if quantile else "")
        ),
        "warnings": [str(w) for w in s.get("warnings") or []],
    }


def _optimize_folder(run: Path) -> Path | None:
    """The newest ``optimize-*`` folder beside the run that was computed from it."""
    found = sorted(run.parent.glob("optimize-*"), key=lambda p: p.name, reverse=True)
    for folder in found:
        try:
            made = json.loads((folder / "optimize.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        source = made.get("source_run") if isinstance(made, dict) else None
        if source and Path(source).name == run.name:
            return folder
    return None


def _calibration(table: pd.DataFrame | None) -> list[dict[str, Any]] | None:
    if table is None or table.empty:
        return None
    return [
        {
            "source": str(r["source"]),
            "channel": str(r["channel"]),
            "when": str(r["date_or_window"]),
            "observed": num(r["observed"], 4),
            "sigma": num(r["sigma"]),
            "model": num(r["model_mean"], 4),
            "model_hdi": interval(r["model_hdi_low"], r["model_hdi_high"]),
            "z": f"{r['z']:+.2f}" if math.isfinite(r["z"]) else "–",
            "flag": bool(math.isfinite(r["z"]) and abs(r["z"]) > 3),
        }
        for r in table.to_dict(orient="records")
    ]


def _conflicts(table: pd.DataFrame | None) -> list[dict[str, Any]] | None:
    if table is None or table.empty:
        return None
    return [
        {
            "parameter": str(r["parameter"]),
            "bounds": interval(r["lower"], r["upper"]),
            "inside": pct(r["posterior_mass_inside"], 0),
            "requested": pct(r["requested_mass"], 0),
            "posterior_mean": num(r["posterior_mean"], 4),
            "sd_ratio": num(r["sd_ratio"], 2),
            "flag": str(r["flag"]),
        }
        for r in table.to_dict(orient="records")
    ]


def _priors(table: pd.DataFrame | None) -> list[dict[str, str]] | None:
    if table is None or table.empty:
        return None

    def text(value: Any) -> str:
        return "" if value is None or (isinstance(value, float) and math.isnan(value)) else value

    return [
        {
            "parameter": str(r["parameter"]),
            "source": str(text(r.get("source"))),
            "dist": str(text(r.get("dist"))),
            "params": str(text(r.get("params"))),
            "unit": str(text(r.get("unit"))),
        }
        for r in table.to_dict(orient="records")
    ]


def _diagnostics(diag: dict, summary: pd.DataFrame | None) -> dict[str, Any] | None:
    if not diag:
        return None
    worst: list[dict[str, str]] = []
    if summary is not None and {"r_hat", "ess_bulk"} <= set(summary.columns):
        ranked = summary.assign(_r=summary["r_hat"].fillna(0), _e=summary["ess_bulk"].fillna(1e12))
        ranked = ranked.sort_values(["_r", "_e"], ascending=[False, True]).head(WORST_PARAMETERS)
        worst = [
            {
                "parameter": str(r["parameter"]),
                "r_hat": num(r["r_hat"], 4),
                "ess_bulk": num(r["ess_bulk"]),
                "ess_tail": num(r.get("ess_tail")),
            }
            for r in ranked.to_dict(orient="records")
        ]
    return {
        "checks": [
            {"name": name, "passed": ok, "said": said} for name, ok, said in check_phrases(diag)
        ],
        "min_ess_tail": num(diag.get("min_ess_tail")),
        "gradient_evaluations": num(diag.get("gradient_evaluations")),
        "compile_cache": diag.get("compile_cache"),
        "worst": worst,
    }


def _reproduce(manifest: dict) -> dict[str, Any]:
    command = manifest.get("command") or []
    config = manifest.get("config") or {}
    data = manifest.get("data") or {}
    sampler = manifest.get("sampler") or {}
    git = config.get("git") or None
    return {
        "command": shlex.join(str(c) for c in command) if command else "",
        "cwd": manifest.get("cwd"),
        "inputs": [
            ("config", config.get("path"), config.get("sha256")),
            ("data", data.get("path"), data.get("sha256")),
            *(
                ("calibration", c.get("path"), c.get("sha256"))
                for c in manifest.get("calibration") or []
            ),
        ],
        "git": git,
        "fingerprint": manifest.get("fingerprint"),
        "sampler": ", ".join(f"{k} {_setting(v)}" for k, v in sampler.items()),
        "timings": [  # not the page's own time: a page cannot contain the time it took
            (k, f"{num(v, 2)} s")
            for k, v in (manifest.get("timings_seconds") or {}).items()
            if k != "report"
        ],
        "versions": list((manifest.get("versions") or {}).items()),
        "platform": manifest.get("platform"),
    }


def _setting(value: Any) -> str:
    """A sampler setting for the reproduce section (``retry``: ``max 1, target_accept 0.97``)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} {v}" for k, v in value.items()) + "}"
    return str(value)
