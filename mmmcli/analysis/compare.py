"""Compare two run folders: the CI regression check and the cron "did something change" alert.

``compare_runs(run, baseline)`` compares, channel by channel, ROAS (revenue targets) or CPA
(conversion targets), marginal ROAS/CPA at current spend, contribution shares and, when both runs
cover the same dates, contribution totals; then the per-period contributions of every component
over the dates both runs share; then the in-sample fit metrics; then, when both runs have a
recommended allocation (``allocation.csv`` in the run, or the newest ``optimize-*`` folder made
from it), each channel's share of the budget and the direction of its recommended change; and,
for two fits of the same observations, the difference in ELPD-LOO with its standard error.

A quantity has **drifted** when it moved by more than ``rtol`` relative to ``|baseline|`` (by more
than ``rtol`` in absolute terms when the baseline is 0) **and** its HDIs (the ``*_hdi_low`` /
``*_hdi_high`` columns) do not overlap. Quantities without an interval (contribution shares) drift
on ``rtol`` alone, as do allocation shares (relative to the larger of the baseline share and an
even share, so a near-zero share moving in its decimals is not drift). A recommendation that
*flips* (more than ``rtol`` above recent spend in one run, more than ``rtol`` below it in the
other) always drifts: it is the change a team acts on. Per-period contributions are judged date
by date and summarised in one row per component, which drifts when more than 10% of the shared
dates drifted. Fit metrics (r2, mape, smape, nrmse) and ELPD-LOO are informational: they are
reported with their relative change but never count as drift. A channel or component present in
only one of the runs always counts as drift.

Nothing here prints; the CLI renders ``Comparison.rows``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import UsageError
from ..jsonsafe import clean_json

DEFAULT_RTOL = 0.1
PERIOD_DRIFT_FRACTION = 0.1
FIT_METRICS = ("r2", "mape", "smape", "nrmse")
TARGET_KINDS = ("roas", "cpa")
MARGINAL_ENDS = ("mean", "hdi_low", "hdi_high")
RUN_MARKERS = ("channels.csv", "manifest.json")
CHANNEL_COLUMNS = (
    "channel",
    "share_mean",
    "contribution_mean",
    "contribution_hdi_low",
    "contribution_hdi_high",
)
ALLOCATION_COLUMNS = ("channel", "recent_spend", "recommended_spend")
CONTRIBUTION_COLUMNS = ("date", "component", "mean", "hdi_low", "hdi_high")
TEXT_COLUMNS = ("channel", "component", "date", "calibrated", "holdout")


def is_run_folder(path: Path) -> bool:
    """True when ``path`` holds the files that make it a run folder."""
    return all((path / name).is_file() for name in RUN_MARKERS)


def resolve_run(path: Path) -> Path:
    """The run folder ``path`` designates, as an absolute path.

    ``path`` is a run folder, a config's runs folder ``runs/<name>`` (its ``latest`` run is used)
    or a ``.../latest`` link. Raises ``UsageError`` when no run folder is found.
    """
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise UsageError(f"{path}: no such run folder")
    if path.name != "latest" and not is_run_folder(path) and (path / "latest").is_symlink():
        path = path / "latest"
    if path.name == "latest" and not path.exists():
        raise UsageError(f"{path}: no 'latest' run (no run of this config has passed yet)")
    if not path.is_dir():
        raise UsageError(f"{path}: is a file, not a run folder")
    if not is_run_folder(path):
        raise UsageError(f"{path}: not a run folder (expected {' and '.join(RUN_MARKERS)})")
    return path.resolve()


@dataclass
class Comparison:
    """The outcome of ``compare_runs``: one row per compared quantity, and notes for humans.

    Each row has ``quantity``, ``channel_or_component``, ``baseline``, ``current``,
    ``rel_change``, ``hdi_overlap`` (``None`` when there is no interval) and ``drifted``; per-period
    rows add ``dates_drifted`` (e.g. ``"7/148"``), fit-metric rows add ``informational: True`` and
    rows for a channel or component found in one run only add ``change`` (``added``/``removed``).
    """

    rows: list[dict]
    drifted: bool
    notes: list[str]
    run: Path | None = None
    baseline: Path | None = None
    rtol: float = DEFAULT_RTOL

    def to_json(self) -> dict:
        """A JSON-safe dict (NaN and infinities become ``None``)."""
        return clean_json(
            {
                "command": "compare",
                "status": "drift" if self.drifted else "ok",
                "exit_code": 4 if self.drifted else 0,
                "run": str(self.run) if self.run else None,
                "baseline": str(self.baseline) if self.baseline else None,
                "rtol": self.rtol,
                "drifted": self.drifted,
                "rows": self.rows,
                "notes": self.notes,
            }
        )


@dataclass
class _Run:
    """The parts of a run folder a comparison reads."""

    path: Path
    channels: pd.DataFrame
    contributions: pd.DataFrame | None
    metrics: dict | None
    manifest: dict
    allocation: pd.DataFrame | None = None
    allocation_request: dict | None = None
    loo: pd.DataFrame | None = None  # date, elpd_loo, pareto_k
    fit: pd.DataFrame | None = None  # date, actual, ...
    kind: str = field(init=False)

    def __post_init__(self) -> None:
        kinds = [k for k in TARGET_KINDS if f"{k}_mean" in self.channels.columns]
        if len(kinds) != 1:
            raise UsageError(
                f"{self.path / 'channels.csv'}: expected either roas_* or cpa_* columns"
            )
        self.kind = kinds[0]

    @property
    def data_range(self) -> tuple[str | None, str | None]:
        data = self.manifest.get("data")
        data = data if isinstance(data, dict) else {}
        return data.get("start"), data.get("end")


def compare_runs(run: Path, baseline: Path, rtol: float = DEFAULT_RTOL) -> Comparison:
    """Compare ``run`` with ``baseline`` (both resolved with ``resolve_run``); see module docs."""
    if not (math.isfinite(rtol) and rtol > 0):
        raise UsageError(f"--rtol: must be a finite number > 0, got {rtol!r}")
    cur, base = _load(resolve_run(run)), _load(resolve_run(baseline))
    if cur.kind != base.kind:
        raise UsageError(
            f"{cur.path} reports {cur.kind.upper()} but {base.path} reports {base.kind.upper()}: "
            f"runs with different target kinds cannot be compared"
        )
    notes = _status_notes(cur, base)
    totals = _totals_comparable(cur, base, notes)
    rows = _channel_rows(cur, base, rtol, totals, notes)
    rows += _period_rows(cur, base, rtol, notes)
    rows += _fit_rows(cur, base, notes)
    rows += _loo_rows(cur, base, notes)
    rows += _allocation_rows(cur, base, rtol, notes)
    drifted = any(row["drifted"] for row in rows)
    return Comparison(rows, drifted, notes, run=cur.path, baseline=base.path, rtol=rtol)


# --- loading -------------------------------------------------------------------------------------


def _load(path: Path) -> _Run:
    """Read a run folder's channels, contributions, metrics and manifest; a damaged file is a
    ``UsageError`` naming it."""
    contributions, metrics = path / "contributions.csv", path / "metrics.json"
    run = _Run(
        path=path,
        channels=_read_csv(path / "channels.csv", CHANNEL_COLUMNS),
        contributions=(
            _read_csv(contributions, CONTRIBUTION_COLUMNS) if contributions.is_file() else None
        ),
        metrics=_read_json(metrics) if metrics.is_file() else None,
        manifest=_read_json(path / "manifest.json"),
    )
    for kind in TARGET_KINDS:
        if f"{kind}_mean" in run.channels:
            _require(run.channels, path / "channels.csv", [f"{kind}_hdi_low", f"{kind}_hdi_high"])
    if (path / "loo.csv").is_file() and (path / "fit.csv").is_file():
        run.loo = _read_csv(path / "loo.csv", ("date", "elpd_loo", "pareto_k"))
        run.fit = _read_csv(path / "fit.csv", ("date", "actual"))
    folder = _allocation_folder(path)
    if folder is not None:
        run.allocation = _read_csv(folder / "allocation.csv", ALLOCATION_COLUMNS)
        request = _read_json(folder / "optimize.json").get("request")
        run.allocation_request = request if isinstance(request, dict) else {}
    return run


def _allocation_folder(run: Path) -> Path | None:
    """Where a run's recommendation is: the run itself (its config's ``optimize:`` block), else
    the newest ``optimize-*`` folder beside it that was made from it."""
    if (run / "allocation.csv").is_file():
        return run
    made = []
    for folder in sorted(run.parent.glob("optimize-*")):
        try:
            info = json.loads((folder / "optimize.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        source = info.get("source_run") if isinstance(info, dict) else None
        if source and Path(source).resolve() == run.resolve():
            made.append(folder)
    return made[-1] if made and (made[-1] / "allocation.csv").is_file() else None


def _read_json(path: Path) -> dict:
    """A run's JSON file, which must hold an object."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: cannot read this run file: {exc}") from None
    if not isinstance(value, dict):
        raise UsageError(f"{path}: expected a JSON object in this run file")
    return value


def _read_csv(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    """Read a run CSV: names and dates as strings, every other column numeric (blank = NaN,
    inf allowed); ``UsageError`` naming the file for anything else."""
    try:
        frame = pd.read_csv(path, dtype={c: str for c in TEXT_COLUMNS}, keep_default_na=True)
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"{path}: cannot read this run file: {first}") from None
    _require(frame, path, list(required))
    for col in frame.columns:
        if col in TEXT_COLUMNS:
            continue
        values = pd.to_numeric(frame[col], errors="coerce")
        if (values.isna() & frame[col].notna()).any():
            raise UsageError(f"{path}: column {col!r} holds values that are not numbers")
        frame[col] = values
    key = next(c for c in ("channel", "component", "date") if c in required)
    if frame[key].isna().any():
        raise UsageError(f"{path}: a row has no name")
    return frame


def _require(frame: pd.DataFrame, path: Path, required: list[str]) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise UsageError(f"{path}: missing column(s) {', '.join(missing)}")


def _status_notes(cur: _Run, base: _Run) -> list[str]:
    """Notes for runs whose manifest does not say they passed."""
    notes = []
    for label, r in (("run", cur), ("baseline", base)):
        status = r.manifest.get("status")
        if status != "passed":
            notes.append(f"{label} status is {status!r}, not 'passed'")
    return notes


# --- drift arithmetic ----------------------------------------------------------------------------


def _moved(base: np.ndarray, cur: np.ndarray, rtol: float) -> np.ndarray:
    """Element-wise: did ``cur`` move by more than ``rtol`` relative to ``base``?

    Relative to ``|base|``; absolute when ``base`` is 0. Equal values (including equal
    infinities, or both missing) never moved; one missing or infinite value always did.
    """
    base, cur = np.asarray(base, dtype=float), np.asarray(cur, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = np.abs(cur - base)
        scale = np.where(base == 0, 1.0, np.abs(base))
        moved = diff / scale > rtol
    same = (base == cur) | (np.isnan(base) & np.isnan(cur))
    unbounded = ~np.isfinite(base) | ~np.isfinite(cur)
    return np.where(same, False, np.where(unbounded, True, moved))


def _overlap(b_lo, b_hi, c_lo, c_hi) -> np.ndarray:
    """Element-wise: do the intervals overlap? (``inf`` bounds compare as expected.)"""
    b_lo, b_hi, c_lo, c_hi = (np.asarray(x, dtype=float) for x in (b_lo, b_hi, c_lo, c_hi))
    return (b_lo <= c_hi) & (c_lo <= b_hi)


def _rel_change(base: float, cur: float) -> float | None:
    """``(cur - base) / |base|``; 0 when equal, ``None`` when undefined."""
    if base == cur:
        return 0.0
    if not (math.isfinite(base) and math.isfinite(cur)) or base == 0:
        return None
    return (cur - base) / abs(base)


def _row(
    quantity: str,
    name: str,
    base: float,
    cur: float,
    rtol: float,
    hdi: tuple[float, float, float, float] | None = None,
) -> dict:
    """One compared quantity; ``hdi`` is ``(b_lo, b_hi, c_lo, c_hi)`` or ``None``."""
    moved = bool(_moved(base, cur, rtol))
    overlap = None
    if hdi is not None and not any(math.isnan(x) for x in hdi):
        overlap = bool(_overlap(*hdi))
    return {
        "quantity": quantity,
        "channel_or_component": name,
        "baseline": float(base),
        "current": float(cur),
        "rel_change": _rel_change(float(base), float(cur)),
        "hdi_overlap": overlap,
        "drifted": moved and not overlap,
    }


def _presence_row(quantity: str, name: str, in_current: bool) -> dict:
    """A channel or component found in only one run: always drift."""
    return {
        "quantity": quantity,
        "channel_or_component": name,
        "baseline": None,
        "current": None,
        "rel_change": None,
        "hdi_overlap": None,
        "drifted": True,
        "change": "added" if in_current else "removed",
    }


def _presence(
    quantity: str,
    cur_names: Iterable[str],
    base_names: Iterable[str],
    what: str,
    notes: list[str],
    skip: Iterable[str] = (),
) -> list[dict]:
    """Rows and notes for names in one run only (``skip``: names already reported)."""
    rows = []
    cur_names, base_names = set(cur_names), set(base_names)
    for name in sorted((cur_names ^ base_names) - set(skip)):
        added = name in cur_names
        notes.append(f"{what} {name!r} only in the {'run' if added else 'baseline'}")
        rows.append(_presence_row(quantity, name, added))
    return rows


# --- quantities ----------------------------------------------------------------------------------


def _channel_rows(cur: _Run, base: _Run, rtol: float, totals: bool, notes: list[str]) -> list[dict]:
    """ROAS/CPA, share and (when ``totals``) contribution total per channel."""
    merged = base.channels.merge(cur.channels, on="channel", suffixes=("_b", "_c"))
    # (quantity, column, HDI column prefix or None)
    quantities = [(cur.kind, f"{cur.kind}_mean", cur.kind), ("share", "share_mean", None)]
    marginal = f"m{cur.kind}"
    if all(f"{marginal}_{end}" in r.channels for r in (cur, base) for end in MARGINAL_ENDS):
        quantities.insert(1, (marginal, f"{marginal}_mean", marginal))
    elif any(f"{marginal}_mean" in r.channels for r in (cur, base)):
        notes.append(f"marginal {cur.kind.upper()} in one run only: not compared")
    if totals:
        quantities.append(("contribution_total", "contribution_mean", "contribution"))
    rows = []
    for quantity, column, prefix in quantities:
        for rec in merged.to_dict("records"):
            hdi = None
            if prefix:
                hdi = tuple(rec[f"{prefix}_hdi_{end}_{s}"] for s in "bc" for end in ("low", "high"))
            base_value, cur_value = rec[f"{column}_b"], rec[f"{column}_c"]
            rows.append(_row(quantity, rec["channel"], base_value, cur_value, rtol, hdi))
    rows += _presence(
        "channel", cur.channels["channel"], base.channels["channel"], "channel", notes
    )
    return rows


def _dates(r: _Run) -> set[str]:
    """The dates of a run's per-period contributions (empty when the file is missing)."""
    return set() if r.contributions is None else set(r.contributions["date"])


def _totals_comparable(cur: _Run, base: _Run, notes: list[str]) -> bool:
    """Whether channel totals are comparable: same data range and the same fitted dates."""
    both = cur.contributions is not None and base.contributions is not None
    if cur.data_range == base.data_range and (not both or _dates(cur) == _dates(base)):
        return True
    (cs, ce), (bs, be) = cur.data_range, base.data_range
    shared = len(_dates(cur) & _dates(base))
    notes.append(
        f"date ranges differ (run {cs}..{ce}, baseline {bs}..{be}): totals not compared; "
        f"per-period contributions compared on {shared} shared dates"
    )
    return False


def _period_rows(cur: _Run, base: _Run, rtol: float, notes: list[str]) -> list[dict]:
    """One row per component summarising its per-date drift over the shared dates."""
    if cur.contributions is None or base.contributions is None:
        notes.append("contributions.csv missing: per-period contributions not compared")
        return []
    c, b = cur.contributions, base.contributions
    missing_channels = set(cur.channels["channel"]) ^ set(base.channels["channel"])
    rows = _presence(
        "contribution_per_period",
        c["component"],
        b["component"],
        "component",
        notes,
        skip=missing_channels,
    )
    merged = b.merge(c, on=["date", "component"], suffixes=("_b", "_c"))
    if merged.empty:
        notes.append("no shared dates: per-period contributions not compared")
    for name, group in merged.groupby("component", sort=False):
        rows.append(_period_row(str(name), group, rtol))
    return rows


def _period_row(name: str, g: pd.DataFrame, rtol: float) -> dict:
    """Summary row for one component: totals over shared dates, count of drifted dates."""
    moved = _moved(g["mean_b"], g["mean_c"], rtol)
    overlap = _overlap(g["hdi_low_b"], g["hdi_high_b"], g["hdi_low_c"], g["hdi_high_c"])
    n_drifted, n = int(np.sum(moved & ~overlap)), len(g)
    base, cur = float(g["mean_b"].sum()), float(g["mean_c"].sum())
    return {
        "quantity": "contribution_per_period",
        "channel_or_component": name,
        "baseline": base,
        "current": cur,
        "rel_change": _rel_change(base, cur),
        "hdi_overlap": None,
        "drifted": n_drifted > PERIOD_DRIFT_FRACTION * n,
        "dates_drifted": f"{n_drifted}/{n}",
    }


def _fit_rows(cur: _Run, base: _Run, notes: list[str]) -> list[dict]:
    """In-sample fit metrics: informational, never drift."""
    if cur.metrics is None or base.metrics is None:
        notes.append("metrics.json missing: fit metrics not compared")
        return []
    c, b = (r.get("in_sample") for r in (cur.metrics, base.metrics))
    c, b = (m if isinstance(m, dict) else {} for m in (c, b))
    rows = []
    for metric in FIT_METRICS:
        bv, cv = _float(b.get(metric)), _float(c.get(metric))
        rows.append(
            {
                "quantity": "fit_in_sample",
                "channel_or_component": metric,
                "baseline": bv,
                "current": cv,
                "rel_change": _rel_change(bv, cv),
                "hdi_overlap": None,
                "drifted": False,
                "informational": True,
            }
        )
    return rows


def _allocation_rows(cur: _Run, base: _Run, rtol: float, notes: list[str]) -> list[dict]:
    """Each channel's share of the recommended budget, and whether its direction flipped."""
    if cur.allocation is None or base.allocation is None:
        if (cur.allocation is None) != (base.allocation is None):
            notes.append("a recommended allocation in one run only: allocations not compared")
        return []
    keys = ("budget", "periods", "pattern", "quantile", "bounds", "spend_bounds")
    asked = [{k: (r.allocation_request or {}).get(k) for k in keys} for r in (cur, base)]
    if asked[0] != asked[1]:
        notes.append(
            "the two allocations answer different requests (budget, periods, pattern, bounds)"
        )
    b, c = (r.allocation.set_index("channel") for r in (base, cur))
    rows = []
    floor = 1.0 / max(len(b.index.union(c.index)), 1)  # an even share: small shares are noisy
    for channel in b.index.intersection(c.index):
        shares = [
            float(x.loc[channel, "recommended_spend"] / x["recommended_spend"].sum())
            for x in (b, c)
        ]
        row = _row("allocation_share", str(channel), shares[0], shares[1], rtol)
        row["drifted"] = abs(shares[1] - shares[0]) > rtol * max(abs(shares[0]), floor)
        rows.append(row)
        way = [_direction(x.loc[channel], rtol) for x in (b, c)]
        flipped = {way[0], way[1]} == {"up", "down"}
        if flipped:
            notes.append(
                f"recommendation for {channel} flipped: baseline {way[0]}, run {way[1]} "
                f"(versus recent spend)"
            )
        rows.append(
            {
                "quantity": "allocation_direction",
                "channel_or_component": str(channel),
                "baseline": _float(
                    b.loc[channel, "recommended_spend"] / b.loc[channel, "recent_spend"]
                )
                if b.loc[channel, "recent_spend"]
                else math.nan,
                "current": _float(
                    c.loc[channel, "recommended_spend"] / c.loc[channel, "recent_spend"]
                )
                if c.loc[channel, "recent_spend"]
                else math.nan,
                "rel_change": None,
                "hdi_overlap": None,
                "drifted": flipped,
                "direction": f"{way[0]} -> {way[1]}",
            }
        )
    return rows


def _direction(row: pd.Series, rtol: float) -> str:
    """``up``/``down`` when the recommendation moves spend by more than ``rtol``, else ``same``."""
    recent, chosen = float(row["recent_spend"]), float(row["recommended_spend"])
    if chosen > recent * (1 + rtol) and chosen - recent > 0:
        return "up"
    if chosen < recent * (1 - rtol):
        return "down"
    return "same"


def _loo_rows(cur: _Run, base: _Run, notes: list[str]) -> list[dict]:
    """ELPD-LOO of both runs and their difference with its standard error (informational).

    Only for the same observations: identical fitted dates and target values (LOO scores
    compare models of one dataset, not fits of different data)."""
    if cur.loo is None or base.loo is None or cur.fit is None or base.fit is None:
        if (cur.loo is None) != (base.loo is None):
            notes.append("ELPD-LOO in one run only: not compared")
        return []
    c, b = cur.loo.set_index("date"), base.loo.set_index("date")
    actual_c = cur.fit.set_index("date")["actual"].reindex(c.index)
    actual_b = base.fit.set_index("date")["actual"].reindex(b.index)
    if not c.index.equals(b.index) or not np.allclose(actual_c, actual_b, equal_nan=False):
        notes.append("ELPD-LOO not compared: the runs were fitted to different observations")
        return []
    diff = c["elpd_loo"].to_numpy() - b["elpd_loo"].to_numpy()
    se = float(np.sqrt(len(diff) * np.var(diff)))
    total = float(diff.sum())
    better = "run" if total > 0 else "baseline"
    notes.append(
        f"ELPD-LOO difference (run - baseline) {total:+.1f} (se {se:.1f}): "
        + (
            f"the {better} predicts better"
            if abs(total) > 2 * se
            else "no clear difference (|difference| <= 2 se)"
        )
    )
    bv, cv = float(b["elpd_loo"].sum()), float(c["elpd_loo"].sum())
    return [
        {
            "quantity": "elpd_loo",
            "channel_or_component": "total",
            "baseline": bv,
            "current": cv,
            "rel_change": None,
            "hdi_overlap": None,
            "drifted": False,
            "informational": True,
            "difference": total,
            "difference_se": se,
        }
    ]


# --- helpers -------------------------------------------------------------------------------------


def _float(value: object) -> float:
    """``value`` as a float; ``None`` (or anything that is not a number) becomes NaN."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)
