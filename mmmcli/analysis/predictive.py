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
from scipy import stats

INTERVALS = (0.5, 0.94)


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
    """PSIS-LOO (ArviZ) of a (draws, periods) log-likelihood whose draws are chain-major."""
    draws = loglik.shape[0] // chains
    cube = loglik[: chains * draws].reshape(chains, draws, -1)
    tree = xr.DataTree.from_dict(
        {
            "posterior": xr.Dataset({"_": (("chain", "draw"), np.zeros((chains, draws)))}),
            "log_likelihood": xr.Dataset({"y": (("chain", "draw", "date"), cube)}),
        }
    )
    with warnings.catch_warnings():  # said once, in our words, by ``loo_warning``
        warnings.simplefilter("ignore", UserWarning)
        result = az.loo(tree, pointwise=True)
    k = np.asarray(result.pareto_k).ravel()
    elpd_i = np.asarray(result.elpd_i).ravel()
    threshold = float(result.good_k)
    return Loo(
        {
            "elpd_loo": float(result.elpd),
            "se": float(result.se),
            "p_loo": float(result.p),
            "pareto_k_max": float(np.max(k)),
            "pareto_k_threshold": threshold,
            "pareto_k_above": int(np.sum(k > threshold)),
            "n": int(len(k)),
        },
        pd.DataFrame({"date": dates, "elpd_loo": elpd_i, "pareto_k": k}),
    )
