"""The warning lines a fit ends with, made from its tables: said on the console after a fit
and shown again by the run's report (so they need no modelling stack, only what the run folder
holds)."""

from __future__ import annotations

import pandas as pd


def run_warnings(
    calibration: pd.DataFrame | None, conflicts: pd.DataFrame | None, loo: dict | None
) -> list[str]:
    """Every warning about a fitted run: experiments the posterior disagrees with, priors the
    data contradict, periods where LOO is unreliable."""
    lines = calibration_warnings(calibration)
    lines += conflict_lines(conflicts) if conflicts is not None else []
    unreliable = loo_warning(loo)
    return lines + ([unreliable] if unreliable else [])


def calibration_warnings(table: pd.DataFrame | None, limit: float = 3.0) -> list[str]:
    """A line per source whose experiments the posterior disagrees with (|z| > limit)."""
    if table is None or table.empty:
        return []
    out = []
    for (source, channel), rows in table.groupby(["source", "channel"], sort=False):
        bad = rows[rows["z"].abs() > limit]
        if len(bad):
            worst = bad.loc[bad["z"].abs().idxmax()]
            out.append(
                f"{source} ({channel}): the model disagrees with {len(bad)} of {len(rows)} "
                f"observations by more than {limit:g} combined sd (worst z = {worst['z']:.1f} at "
                f"{worst['date_or_window']}); see calibration.csv"
            )
    return out


def conflict_lines(table: pd.DataFrame) -> list[str]:
    """A line per flagged parameter, for the end of the run."""
    say = {
        "at_lower": "piles at the lower bound: the data want less than the bounds allow",
        "at_upper": "piles at the upper bound: the data want more than the bounds allow",
        "outside": "has left the bounds: the data contradict them",
    }
    return [
        f"prior conflict: {r.parameter} {say[r.flag]} (posterior mean {r.posterior_mean:.4g}, "
        f"{r.posterior_mass_inside:.0%} inside [{r.lower:g}, {r.upper:g}]); see prior_conflict.csv"
        for r in table.itertuples()
        if r.flag != "ok"
    ]


def loo_warning(summary: dict | None) -> str | None:
    """One line when some periods' LOO estimates are unreliable (Pareto k above threshold)."""
    if not summary or not summary.get("pareto_k_above"):
        return None
    return (
        f"ELPD-LOO: {summary['pareto_k_above']} of {summary['n']} periods have Pareto k above "
        f"{summary['pareto_k_threshold']:.2f} (loo.csv): influential periods, where the LOO "
        f"estimate is unreliable; compare ELPD between runs with care"
    )
