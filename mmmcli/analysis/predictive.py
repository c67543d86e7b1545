"""The posterior predictive: the target as the model would generate it, noise included.

The model mean's HDI says where the *mean* is; an observed value is the mean plus observation
noise, so only the predictive (mean + noise, per draw) can be checked against the data: its
central 50% and 94% intervals should hold about 50% and 94% of the observed values, in sample
and on a holdout. CRPS (continuous ranked probability score, in target units; lower is better)
scores the whole predictive distribution against each observation. ELPD-LOO (PSIS, ArviZ) is the
expected log predictive density of each period with that period left out, estimated from the
fit itself; Pareto k above ArviZ's threshold marks periods whose estimate is unreliable. The
pointwise log-likelihood is computed here, after sampling, from the mean and noise draws: it is
never stored in the trace.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr
from scipy import special, stats

INTERVALS = (0.5, 0.94)
# PSIS smooths the largest fifth of the importance weights (3 sqrt(S) of them past 225 draws)
# with a generalised Pareto fit that needs at least 5 of them: S >= 25 draws in all.
MIN_DRAWS = 25


def noise_draws(
    likelihood: str, sigma: np.ndarray, nu: np.ndarray | None, shape: tuple[int, int], seed: int
) -> np.ndarray:
    """Observation noise (draws, periods) for every draw's sigma (and nu), seeded."""
    rng = np.random.default_rng(seed)
    if likelihood == "student_t":
        assert nu is not None
        eps = rng.standard_t(nu[:, None], size=shape)
    else:
        eps = rng.standard_normal(shape)
    return sigma[:, None] * eps


def log_likelihood(
    likelihood: str, y: np.ndarray, mu: np.ndarray, sigma: np.ndarray, nu: np.ndarray | None
) -> np.ndarray:
    """Pointwise log density (draws, periods) of the observed ``y`` under each draw."""
    if likelihood == "student_t":
        assert nu is not None
        return stats.t.logpdf(y[None, :], nu[:, None], loc=mu, scale=sigma[:, None])
    return stats.norm.logpdf(y[None, :], loc=mu, scale=sigma[:, None])


def central(draws: np.ndarray, prob: float) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed interval of ``prob`` per period (the usual interval for coverage)."""
    low, high = np.quantile(draws, [(1 - prob) / 2, (1 + prob) / 2], axis=0)
    return low, high


def crps(y: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """CRPS per period of an ensemble: ``E|X - y| - E|X - X'| / 2`` (sorted-sample form)."""
    n = draws.shape[0]
    x = np.sort(draws, axis=0)
    spread = (2 * np.arange(1, n + 1) - n - 1)[:, None] * x
    return np.abs(draws - y[None, :]).mean(axis=0) - spread.sum(axis=0) / n**2


def scores(y: np.ndarray, draws: np.ndarray) -> dict[str, float]:
    """Interval coverage (50% and 94%) and mean CRPS of a predictive against observations."""
    out: dict[str, float] = {}
    for prob in INTERVALS:
        low, high = central(draws, prob)
        out[f"coverage_{round(prob * 100)}"] = float(np.mean((y >= low) & (y <= high)))
    out["crps"] = float(crps(y, draws).mean())
    return out


@dataclass
class Loo:
    """ELPD-LOO of the fitted periods and its per-period terms."""

    summary: dict
    pointwise: pd.DataFrame  # date, elpd_loo, pareto_k


def loo(loglik: np.ndarray, chains: int, dates: list[str]) -> Loo:
    """PSIS-LOO (ArviZ) of a (draws, periods) log-likelihood whose draws are chain-major.

    A Pareto k that PSIS could not estimate (NaN: too few distinct draws in the tail) is
    reported as ``inf``, above any threshold: that period's estimate is not reliable. When PSIS
    cannot run at all (the tail's values all equal, as in a chain that never moved), every
    period falls back to plain importance sampling with k ``inf``, so the run is still written
    and ``notices.loo_warning`` says that no period's estimate can be relied on.
    """
    draws = loglik.shape[0] // chains
    cube = loglik[: chains * draws].reshape(chains, draws, -1)
    tree = xr.DataTree.from_dict(
        {
            "posterior": xr.Dataset({"_": (("chain", "draw"), np.zeros((chains, draws)))}),
            "log_likelihood": xr.Dataset({"y": (("chain", "draw", "date"), cube)}),
        }
    )
    try:
        with warnings.catch_warnings():  # said once, in our words, by ``loo_warning``
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            result = az.loo(tree, pointwise=True)
        k = np.asarray(result.pareto_k, dtype=float).ravel()
        elpd_i = np.asarray(result.elpd_i, dtype=float).ravel()
        threshold, p_loo = float(result.good_k), float(result.p)
        elpd, se = float(result.elpd), float(result.se)
    except (ValueError, IndexError):  # PSIS's tail fit: too few or identical tail values
        flat = cube.reshape(chains * draws, -1)
        elpd_i = np.log(flat.shape[0]) - special.logsumexp(-flat, axis=0)
        k = np.full(elpd_i.shape, np.inf)
        threshold = good_k(flat.shape[0])
        p_loo = float((special.logsumexp(flat, axis=0) - np.log(flat.shape[0]) - elpd_i).sum())
        elpd, se = float(elpd_i.sum()), float(np.sqrt(len(elpd_i) * np.var(elpd_i)))
    k = np.where(np.isnan(k), np.inf, k)
    return Loo(
        {
            "elpd_loo": elpd,
            "se": se,
            "p_loo": p_loo,
            "pareto_k_max": float(np.max(k)),
            "pareto_k_threshold": threshold,
            "pareto_k_above": int(np.sum(k > threshold)),
            "n": int(len(k)),
        },
        pd.DataFrame({"date": dates, "elpd_loo": elpd_i, "pareto_k": k}),
    )


def good_k(draws: int) -> float:
    """ArviZ's threshold on Pareto k for ``draws`` draws: ``min(1 - 1 / log10(S), 0.7)``."""
    return float(min(1 - 1 / np.log10(draws), 0.7)) if draws > 1 else 0.7
