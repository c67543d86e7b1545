"""Per-period contributions of two runs compared on the dates they share, on a common reference.

The model centres the controls and the trend index on their means over the run's own fitted
periods (``model.build.data_values``: the intercept is then the level at an average period and
does not trade off against them). Their per-period contributions, and the intercept, therefore
depend on which periods were fitted: a refit on 13 more weeks of the same world moves every
control's and the trend's contribution by a constant (measured on the sample data: the trend's
sum over the shared weeks 0 -> -1,054, 25 of 156 weeks "drifted") although nothing changed.

So before the shared dates are compared, both runs are put on the same reference, those dates:
each control and the trend become deviations from their mean over the shared dates, and the
intercept takes up what was removed (the level at the shared dates' mean time and controls);
per period the sum of the components, the model's mean, is unchanged. The intervals of the
re-centred controls and trend are recomputed from the posterior draws in ``trace.nc`` (a
control's contribution is its coefficient times the centred control, the trend's the slope times
the centred time index, both kept in the trace's ``constant_data``). The intercept's interval is
widened by the interval of what it took up, as if the two were perfectly correlated (the
intercept's own draws are not kept: it is derived after sampling), so it is never narrower
than the truth. Without a readable trace, the intervals move with their means.

Seasonality (Fourier terms of the calendar date) and the channels' contributions are absolute
and compared as they are. The controls and the trend are also compared by their effects, which
do not depend on any reference: each control's coefficient (target units per unit of the
control) and the trend's slope (target units per period), from ``posterior_summary.csv``.

A component's per-period row drifts when more than 10% of the shared dates drifted; its
``baseline`` and ``current`` are sums over the shared dates (of absolute deviations, for the
re-centred controls and trend, whose plain sums are 0 by construction).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from ..spec import names
from . import drift
from .run_files import ComparedRun
from .stats import hdi

PERIOD_DRIFT_FRACTION = 0.1
ABSOLUTE = ("intercept", "seasonality")  # compared as they are (the intercept re-levelled)
TREND = "trend"


def period_rows(cur: ComparedRun, base: ComparedRun, rtol: float, notes: list[str]) -> list[dict]:
    """One row per component summarising its per-date drift over the shared dates, controls and
    trend re-centred on those dates; then the controls' coefficients and the trend's slope."""
    if cur.contributions is None or base.contributions is None:
        notes.append("contributions.csv missing: per-period contributions not compared")
        return []
    channels = set(cur.channels["channel"]) | set(base.channels["channel"])
    missing_channels = set(cur.channels["channel"]) ^ set(base.channels["channel"])
    c, b = cur.contributions, base.contributions
    rows = drift.presence(
        "contribution_per_period",
        c["component"],
        b["component"],
        "component",
        notes,
        skip=missing_channels,
    )
    shared = sorted(set(c["date"]) & set(b["date"]))
    if not shared:
        notes.append("no shared dates: per-period contributions not compared")
        return rows
    # every component that is not a channel, the intercept or seasonality: controls, trend
    centred = sorted((set(c["component"]) | set(b["component"])) - channels - set(ABSOLUTE))
    merged = recentred(base, shared, centred).merge(
        recentred(cur, shared, centred), on=["date", "component"], suffixes=("_b", "_c")
    )
    for name, group in merged.groupby("component", sort=False):
        rows.append(_period_row(str(name), group, rtol, absolute=name in centred))
    if centred and (set(shared) != cur.dates or set(shared) != base.dates):
        notes.append(
            f"{' and '.join(_quoted(centred))} are centred on each run's own fitted periods: "
            f"compared as deviations from their mean over the {len(shared)} shared dates (the "
            f"intercept at that mean), and by their effects"
        )
    return rows + effect_rows(cur, base, centred, rtol)


def _quoted(centred: list[str]) -> list[str]:
    controls = [n for n in centred if n != TREND]
    words = [f"control{'s' if len(controls) > 1 else ''} {', '.join(controls)}"] if controls else []
    return words + (["the trend"] if TREND in centred else [])


def recentred(run: ComparedRun, dates: list[str], centred: list[str]) -> pd.DataFrame:
    """The run's contributions on ``dates``, ``centred`` components as deviations from their
    mean over those dates and the intercept raised by those means (module docs)."""
    assert run.contributions is not None
    frame = run.contributions[run.contributions["date"].isin(dates)].copy()
    order = {name: k for k, name in enumerate(dict.fromkeys(frame["component"]))}
    by_order = lambda col: col.map(order) if col.name == "component" else col  # noqa: E731
    frame = frame.sort_values(["component", "date"], key=by_order)
    frame = frame.reset_index(drop=True)
    present = [n for n in centred if n in set(frame["component"])]
    draws = _draws(run.path, present, dates)
    removed = 0.0  # what the intercept takes up: the means removed from the centred components
    spread = np.zeros(1)  # and, per draw, how that amount varies around its mean
    for name in present:
        rows = frame["component"] == name
        mean = float(frame.loc[rows, "mean"].mean())
        frame.loc[rows, "mean"] -= mean
        removed += mean
        if name in draws and rows.sum() == len(dates):
            values, level = draws[name]
            low, high = hdi(values, run.hdi_prob)
            frame.loc[rows, "hdi_low"], frame.loc[rows, "hdi_high"] = low, high
            spread = spread + (level - level.mean())
        else:
            frame.loc[rows, ["hdi_low", "hdi_high"]] -= mean
    if present:
        below, above = 0.0, 0.0
        if spread.size > 1:
            low, high = hdi(spread[:, None], run.hdi_prob)
            below, above = float(low[0]), float(high[0])
        level = frame["component"] == "intercept"
        frame.loc[level, "mean"] += removed
        frame.loc[level, "hdi_low"] += removed + below
        frame.loc[level, "hdi_high"] += removed + above
    return frame


def _draws(path: Path, components: list[str], dates: list[str]) -> dict:
    """Per component: (draws x dates) of its contribution re-centred on ``dates``, and per
    draw the mean it had there, from ``trace.nc`` (coefficient or slope times the data held in
    ``constant_data``); components the trace cannot give (a fixed coefficient, no trace) are
    left out."""
    if not components or not (path / "trace.nc").is_file():
        return {}
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    try:
        with xr.open_datatree(path / "trace.nc", engine="h5netcdf") as tree:
            post = tree["posterior"].to_dataset()
            data = tree["constant_data"].to_dataset()
            when = pd.DatetimeIndex(data["date"].values).strftime("%Y-%m-%d")
            index = pd.Index(when).get_indexer(pd.Index(dates))
            if (index < 0).any():
                return {}
            for name in components:
                series: xr.DataArray | None = None
                if name == TREND:
                    param, series = names.TREND_SLOPE, data.get(names.TIME_INDEX)
                else:
                    param = names.coefficient(name)
                    controls = data.get(names.CONTROLS)
                    if controls is not None and name in list(controls["control"].values):
                        series = controls.sel(control=name)
                if param not in post or series is None:
                    continue
                coef = np.asarray(post[param].values, dtype=float).reshape(-1)
                x = np.asarray(series.values, dtype=float)[index]
                out[name] = (np.outer(coef, x - x.mean()), coef * x.mean())
    except (OSError, ValueError, KeyError):
        return {}
    return out


def _period_row(name: str, g: pd.DataFrame, rtol: float, absolute: bool) -> dict:
    """Summary row for one component: totals over shared dates, count of drifted dates."""
    moved = drift.moved(g["mean_b"], g["mean_c"], rtol)
    overlap = drift.overlap(g["hdi_low_b"], g["hdi_high_b"], g["hdi_low_c"], g["hdi_high_c"])
    n_drifted, n = int(np.sum(moved & ~overlap)), len(g)
    total = (lambda x: float(np.abs(x).sum())) if absolute else (lambda x: float(x.sum()))
    base, cur = total(g["mean_b"]), total(g["mean_c"])
    out = {
        "quantity": "contribution_per_period",
        "channel_or_component": name,
        "baseline": base,
        "current": cur,
        "rel_change": drift.rel_change(base, cur),
        "hdi_overlap": None,
        "drifted": n_drifted > PERIOD_DRIFT_FRACTION * n,
        "dates_drifted": f"{n_drifted}/{n}",
    }
    if absolute:
        out["measure"] = "sum of absolute deviations from the mean over the shared dates"
    return out


def effect_rows(cur: ComparedRun, base: ComparedRun, centred: list[str], rtol: float) -> list:
    """Each control's coefficient and the trend's slope, with their HDIs: effects that do not
    depend on the periods fitted (``posterior_summary.csv``; runs without it give no rows)."""
    rows = []
    for name in centred:
        quantity, param = (
            ("trend_slope", names.TREND_SLOPE)
            if name == TREND
            else ("control_coefficient", names.coefficient(name))
        )
        before, after = _summary(base, param), _summary(cur, param)
        if before is None or after is None:
            continue
        (bm, blo, bhi), (cm, clo, chi) = before, after
        rows.append(drift.row(quantity, name, bm, cm, rtol, (blo, bhi, clo, chi)))
    return rows


def _summary(run: ComparedRun, param: str) -> tuple[float, float, float] | None:
    """(mean, HDI low, HDI high) of ``param`` in the run's posterior summary, or None."""
    s = run.summary
    if s is None or param not in s.index:
        return None
    low = next((c for c in s.columns if c.startswith("hdi") and c.endswith("_lb")), None)
    high = next((c for c in s.columns if c.startswith("hdi") and c.endswith("_ub")), None)
    if low is None or high is None:
        return None
    return float(s.loc[param, "mean"]), float(s.loc[param, low]), float(s.loc[param, high])
