"""The convergence gate: r_hat, ESS and divergences of the free parameters against thresholds.

The gate needs r_hat, and r_hat compares chains: ArviZ gives none for a single chain, so a gated
fit of one chain could only fail. :func:`sampler_problem` refuses such settings, and posteriors
too small for the steps after sampling, before anything is sampled.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import arviz as az
import numpy as np
import pandas as pd

from ..spec.config import Checks
from .predictive import MIN_DRAWS

MIN_CHAINS = 2  # r_hat compares chains


def sampler_problem(chains: int, draws: int, gated: bool) -> tuple[tuple[str, ...], str] | None:
    """Why a fit with these settings could not be analysed or checked, or None.

    Returns the sampler keys concerned (the one to name first) and the reason, with the
    minimum: at least ``MIN_DRAWS`` draws in all (``predictive.loo``), and with the convergence
    checks on, at least ``MIN_CHAINS`` chains."""
    total = chains * draws
    if total < MIN_DRAWS:
        return ("draws", "chains"), (
            f"{chains} chain{'s' if chains != 1 else ''} x {draws} draws is {total} draws in "
            f"all; at least {MIN_DRAWS} are needed: ELPD-LOO smooths the largest fifth of the "
            f"draws' importance weights and needs at least 5 of them"
        )
    if gated and chains < MIN_CHAINS:
        return ("chains",), (
            f"{chains} chain cannot pass the convergence checks: r_hat compares chains and needs "
            f"at least {MIN_CHAINS}; use {MIN_CHAINS} or more, or --quick for an unchecked run"
        )
    return None


def posterior_summary(idata: Any, hdi_prob: float) -> pd.DataFrame:
    """ArviZ summary of the stored (free) parameters: mean, sd, HDI, MCSE, ESS, r_hat (NaN
    where it cannot be computed: one chain, or a parameter that never moved)."""
    with warnings.catch_warnings():  # ArviZ's divisions by zero in exactly those cases
        warnings.simplefilter("ignore", RuntimeWarning)
        summary = az.summary(idata, ci_prob=hdi_prob, ci_kind="hdi", round_to="none")
    summary.index.name = "parameter"
    return summary


def diagnose(summary: pd.DataFrame, idata: Any, checks: Checks, gated: bool = True) -> dict:
    """The gate's verdict and the figures behind it (NaN r_hat of constants is ignored)."""
    r_hat = summary["r_hat"].to_numpy(dtype=float)
    ess_bulk = summary["ess_bulk"].to_numpy(dtype=float)
    ess_tail = summary["ess_tail"].to_numpy(dtype=float)
    divergences = int(np.asarray(idata["sample_stats"]["diverging"]).sum())
    max_r_hat = _finite_max(r_hat)
    min_bulk = _finite_min(ess_bulk)
    min_tail = _finite_min(ess_tail)
    checks_out = {
        "r_hat": {
            "value": max_r_hat,
            "threshold": checks.max_r_hat,
            # not computable (a single chain) is not a pass
            "passed": max_r_hat is not None and max_r_hat <= checks.max_r_hat,
        },
        "ess_bulk": {
            "value": min_bulk,
            "threshold": checks.min_ess_bulk,
            "passed": min_bulk is None or min_bulk >= checks.min_ess_bulk,
        },
        "divergences": {
            "value": divergences,
            "threshold": checks.max_divergences,
            "passed": divergences <= checks.max_divergences,
        },
    }
    passed = all(c["passed"] for c in checks_out.values())
    return {
        "max_r_hat": max_r_hat,
        "min_ess_bulk": min_bulk,
        "min_ess_tail": min_tail,
        "divergences": divergences,
        "thresholds": checks.model_dump(),
        "checks": checks_out,
        "gated": gated,
        "passed": passed,
        "failed": [k for k, c in checks_out.items() if not c["passed"]],
    }


def _finite_max(x: np.ndarray) -> float | None:
    x = x[np.isfinite(x)]
    return float(x.max()) if len(x) else None


def _finite_min(x: np.ndarray) -> float | None:
    x = x[np.isfinite(x)]
    return float(x.min()) if len(x) else None


def describe(diag: dict) -> str:
    """One line for the terminal."""

    def fmt(v: float | None, spec: str) -> str:
        return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)

    return (
        f"max r_hat {fmt(diag['max_r_hat'], '.3f')}, "
        f"min ESS bulk {fmt(diag['min_ess_bulk'], '.0f')}, "
        f"min ESS tail {fmt(diag['min_ess_tail'], '.0f')}, divergences {diag['divergences']}"
    )
