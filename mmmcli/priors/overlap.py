"""What a refresh counts twice: the periods its parent's posterior already holds.

A refresh's priors are the parent's posterior, which holds every observation the parent was
fitted on; the refresh then fits all of its own rows again (README, "Refresh"). Each period both
runs fitted therefore counts twice: fully in the likelihood and again, at about ``1/widen**2``
of its weight, through the priors. That is the design's accepted cost for the weekly refit
(overlap plus new weeks): without the old rows in the likelihood the estimates leaked, measured.
But a refresh whose fitted periods add **nothing** to the parent's is nothing but that double
count, so it is refused, whatever the data file looks like:

- the same periods again (the same file, or a copy saved differently, the same rows in another
  order or with other columns);
- fewer periods: data that end before the parent's end, or start later and end at or before it;
- the same periods with revised target values (a correction rewrites history: refit from
  scratch, the parent's posterior holds the old values);
- new periods that are all held out (``holdout.periods`` covering everything after the parent):
  the fitted range adds nothing.

The comparison is by date over the fitted periods: the parent's are the dates of the observed
target in its ``trace.nc`` (what its likelihood saw, a holdout excluded), this run's the data's
rows before its holdout. When new periods are there, what is counted twice is said on the
console and recorded in the manifest (``refresh.periods``), and two things are warned about:
shared periods whose target values changed, and a parent fitted on later periods than this run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# relative difference under which two target values are the same observation (CSV round trips)
SAME_VALUE = 1e-9


def overlap(
    parent_dates: pd.DatetimeIndex,
    parent_y: np.ndarray,
    dates: pd.DatetimeIndex,
    y: np.ndarray,
    n_train: int,
) -> dict:
    """How this run's fitted periods (the first ``n_train`` of ``dates``) relate to the
    parent's: a JSON-ready summary (the manifest's ``refresh.periods``)."""
    fitted = dates[:n_train]
    shared = fitted.intersection(parent_dates)
    new = fitted.difference(parent_dates)
    held = dates[n_train:].difference(parent_dates)
    mine = pd.Series(np.asarray(y[:n_train], dtype=float), index=fitted)
    theirs = pd.Series(np.asarray(parent_y, dtype=float), index=parent_dates)
    a, b = mine.reindex(shared).to_numpy(), theirs.reindex(shared).to_numpy()
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-300)
    revised = shared[~((a == b) | (np.abs(a - b) <= SAME_VALUE * scale))]
    later = parent_dates[parent_dates > fitted[-1]] if len(fitted) else parent_dates
    return {
        "parent": _span(parent_dates),
        "fitted": _span(fitted),
        "shared": _span(shared),
        "new": _span(new),
        "revised": _span(revised),
        "held_out_new": _span(held),
        "parent_after_fitted": _span(later),
    }


def _span(dates: pd.DatetimeIndex) -> dict:
    """``{"count", "start", "end"}`` of a set of periods (start and end None when empty)."""
    dates = dates.sort_values()
    day = (lambda d: str(d.date())) if len(dates) else None
    return {
        "count": int(len(dates)),
        "start": day(dates[0]) if day else None,
        "end": day(dates[-1]) if day else None,
    }


def span_text(span: dict) -> str:
    """``2023-01-02..2025-12-22 (156 periods)``."""
    count = span["count"]
    noun = "period" if count == 1 else "periods"
    if not count:
        return "no periods"
    return f"{span['start']}..{span['end']} ({count} {noun})"


def refusal(periods: dict, parent: str, holdout: int) -> str | None:
    """Why a refresh adds nothing to its parent (one sentence, without the where), or None."""
    if periods["new"]["count"]:
        return None
    said = (
        f"{parent} was fitted on {span_text(periods['parent'])} and this run's fitted periods, "
        f"{span_text(periods['fitted'])}, add none to them"
    )
    revised = periods["revised"]["count"]
    if revised:
        said += f" ({revised} with revised target values: after a correction, refit from scratch)"
    held = periods["held_out_new"]["count"]
    if held:
        said += f"; the {held} later ones are held out (holdout.periods {holdout})"
    return said + ": each would count twice, in the refreshed priors and again in the likelihood"


def counted_twice(periods: dict, parent: str, widen: float) -> str:
    """What a refresh that adds periods counts twice, in one sentence for the console."""
    return (
        f"refresh: {periods['new']['count']} new periods "
        f"({periods['new']['start']}..{periods['new']['end']}); the "
        f"{periods['shared']['count']} fitted by {parent} "
        f"({periods['shared']['start']}..{periods['shared']['end']}) count twice, fully in the "
        f"likelihood and through its posterior widened x{widen:g} (about "
        f"{1 / widen**2:.0%} of their weight)"
    )


def overlap_warnings(periods: dict, parent: str) -> list[str]:
    """A refresh that adds periods, but also revises shared ones or misses the parent's last."""
    out = []
    revised = periods["revised"]
    if revised["count"]:
        out.append(
            f"refresh: {revised['count']} of the {periods['shared']['count']} periods {parent} "
            f"was fitted on have other target values here ({revised['start']}..{revised['end']}; "
            f"a correction?): its posterior holds the old values; refit from scratch after a "
            f"correction"
        )
    later = periods["parent_after_fitted"]
    if later["count"]:
        out.append(
            f"refresh: this run's fitted periods end {periods['fitted']['end']}, before "
            f"{parent}'s ({periods['parent']['end']}): its posterior holds {later['count']} "
            f"later periods this run does not fit"
        )
    return out
