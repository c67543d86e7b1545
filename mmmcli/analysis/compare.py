"""Compare two run folders: the CI regression check and the cron "did something change" alert.

``compare_runs(run, baseline)`` compares, channel by channel, ROAS (revenue targets) or CPA
(conversion targets), marginal ROAS/CPA at current spend, contribution shares and, when both runs
cover the same dates, contribution totals; then the per-period contributions of every component
over the dates both runs share, on a common reference, and the controls' and trend's effects
(``periods``); then the in-sample fit metrics; then the recommended allocations that answer the
same request (``allocations``); and, for two fits of the same observations, the difference in
ELPD-LOO with its standard error and Monte Carlo error (``elpd``).

A quantity has **drifted** when it moved by more than ``rtol`` relative to ``|baseline|`` (by more
than ``rtol`` in absolute terms when the baseline is 0) **and** its HDIs (the ``*_hdi_low`` /
``*_hdi_high`` columns) do not overlap (``drift``). Quantities without an interval (contribution
shares) drift on ``rtol`` alone. Fit metrics (r2, mape, smape, nrmse) and ELPD-LOO are
informational: reported with their relative change but never drift. A channel or component
present in only one of the runs always counts as drift.

Nothing here prints; the CLI renders ``Comparison.rows``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..jsonsafe import clean_json
from . import drift
from .allocations import allocation_rows
from .elpd import loo_rows, same_model
from .periods import PERIOD_DRIFT_FRACTION, period_rows
from .run_files import ComparedRun, is_run_folder, load_run, resolve_run

__all__ = [
    "DEFAULT_RTOL",
    "PERIOD_DRIFT_FRACTION",
    "Comparison",
    "compare_runs",
    "is_run_folder",
    "resolve_run",
]

DEFAULT_RTOL = 0.1
FIT_METRICS = ("r2", "mape", "smape", "nrmse")
MARGINAL_ENDS = ("mean", "hdi_low", "hdi_high")


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


def compare_runs(run: Path, baseline: Path, rtol: float = DEFAULT_RTOL) -> Comparison:
    """Compare ``run`` with ``baseline`` (both resolved with ``resolve_run``); see module docs."""
    if not (math.isfinite(rtol) and rtol > 0):
        raise UsageError(f"--rtol: must be a finite number > 0, got {rtol!r}")
    cur, base = load_run(resolve_run(run)), load_run(resolve_run(baseline))
    if cur.kind != base.kind:
        raise UsageError(
            f"{cur.path} reports {cur.kind.upper()} but {base.path} reports {base.kind.upper()}: "
            f"runs with different target kinds cannot be compared"
        )
    notes = _status_notes(cur, base)
    totals = _totals_comparable(cur, base, notes)
    rows = _channel_rows(cur, base, rtol, totals, notes)
    rows += period_rows(cur, base, rtol, notes)
    rows += _fit_rows(cur, base, notes)
    model = same_model(cur.config, base.config, cur.data_sha256, base.data_sha256)
    rows += loo_rows(cur, base, notes, model)
    rows += allocation_rows(cur.path, base.path, rtol, notes)
    drifted = any(row["drifted"] for row in rows)
    return Comparison(rows, drifted, notes, run=cur.path, baseline=base.path, rtol=rtol)


def _status_notes(cur: ComparedRun, base: ComparedRun) -> list[str]:
    """Notes for runs whose manifest does not say they passed."""
    notes = []
    for label, r in (("run", cur), ("baseline", base)):
        status = r.manifest.get("status")
        if status != "passed":
            notes.append(f"{label} status is {status!r}, not 'passed'")
    return notes


def _channel_rows(
    cur: ComparedRun, base: ComparedRun, rtol: float, totals: bool, notes: list[str]
) -> list[dict]:
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
            rows.append(drift.row(quantity, rec["channel"], base_value, cur_value, rtol, hdi))
    rows += drift.presence(
        "channel", cur.channels["channel"], base.channels["channel"], "channel", notes
    )
    return rows


def _totals_comparable(cur: ComparedRun, base: ComparedRun, notes: list[str]) -> bool:
    """Whether channel totals are comparable: same data range and the same fitted dates."""
    both = cur.contributions is not None and base.contributions is not None
    if cur.data_range == base.data_range and (not both or cur.dates == base.dates):
        return True
    (cs, ce), (bs, be) = cur.data_range, base.data_range
    shared = len(cur.dates & base.dates)
    notes.append(
        f"date ranges differ (run {cs}..{ce}, baseline {bs}..{be}): totals not compared; "
        f"per-period contributions compared on {shared} shared dates"
    )
    return False


def _fit_rows(cur: ComparedRun, base: ComparedRun, notes: list[str]) -> list[dict]:
    """In-sample fit metrics: informational, never drift."""
    if cur.metrics is None or base.metrics is None:
        notes.append("metrics.json missing: fit metrics not compared")
        return []
    c, b = (r.get("in_sample") for r in (cur.metrics, base.metrics))
    c, b = (m if isinstance(m, dict) else {} for m in (c, b))
    rows = []
    for metric in FIT_METRICS:
        bv, cv = drift.as_float(b.get(metric)), drift.as_float(c.get(metric))
        rows.append(drift.info_row("fit_in_sample", metric, bv, cv))
    return rows
