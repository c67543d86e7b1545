"""Posterior-as-prior refresh: the previous run's posterior, widened, as this run's priors.

A weekly refit from scratch re-decides everything from the same weak information plus one week,
so its channel effects wander; carrying the previous posterior forward as the prior makes the
new week an update instead. Each free parameter's draws are fitted by its prior's own family,
by moment matching on the parameter's unconstrained scale (log for positive families, logit for
Beta, identity on the real line), with the spread multiplied by ``widen`` so the new data can
still move it (and a drift in the truth is not locked out). One-parameter positive families
(HalfNormal, HalfStudentT, Exponential) cannot hold a location and a spread, so they become a
Gamma (same support) and Uniform becomes a TruncatedNormal on the same interval. A vector
parameter (the Fourier coefficients) gets one prior per element.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
from scipy import optimize, special

from .resolve import ResolvedPrior

REAL = ("Normal", "StudentT", "Laplace")
POSITIVE = ("HalfNormal", "LogNormal", "Gamma", "HalfStudentT", "Exponential")
BOUNDED = ("TruncatedNormal", "Uniform")
TINY = 1e-12


def refreshed(prior: ResolvedPrior, draws: np.ndarray, widen: float, run: str) -> ResolvedPrior:
    """``prior``'s family fitted to ``draws`` (draws first; more axes for a vector parameter),
    spread widened by ``widen``; ``source: refresh``, ``origin: run``."""
    x = np.asarray(draws, dtype=float)
    dist = prior.dist
    assert dist is not None, f"{prior.name} is fixed: nothing to refresh"
    if dist in REAL:
        m, s = x.mean(axis=0), _sd(x) * widen
        if dist == "Laplace":
            dist, params = "Laplace", {"mu": m, "b": s / np.sqrt(2)}
        elif dist == "StudentT":
            params = {"nu": prior.params["nu"], "mu": m, "sigma": s}
        else:
            params = {"mu": m, "sigma": s}
    elif dist in POSITIVE:
        logs = np.log(np.clip(x, TINY, None))
        m, s = logs.mean(axis=0), _sd(logs) * widen
        if dist == "LogNormal":
            params = {"mu": m, "sigma": s}
        else:
            dist, params = "Gamma", _gamma_from_log_moments(m, s)
    elif dist == "Beta":
        u = np.clip(x, TINY, 1 - TINY)
        logits = np.log(u) - np.log1p(-u)
        params = _beta_from_logit_moments(logits.mean(axis=0), _sd(logits) * widen)
    elif dist in BOUNDED:
        lower = prior.params["lower"]
        upper = prior.params["upper"]
        dist = "TruncatedNormal"
        params = {"mu": x.mean(axis=0), "sigma": _sd(x) * widen, "lower": lower, "upper": upper}
    else:  # pragma: no cover - every family is listed above
        raise ValueError(f"no refresh rule for {dist}")
    return replace(
        prior,
        dist=dist,
        params=_plain_all(params),
        source="refresh",
        bounds=None,
        achieved_mass=None,
        origin=run,
        replaced=prior,
    )


def _sd(x: np.ndarray) -> np.ndarray:
    """Posterior sd, never exactly 0 (a parameter the data pinned still gets a prior)."""
    scale = np.maximum(np.abs(x.mean(axis=0)), 1.0)
    return np.maximum(x.std(axis=0, ddof=1), 1e-6 * scale)


def _plain_all(params: dict[str, Any]) -> Any:
    """Scalars as floats, vectors (one per element of a vector parameter) as arrays."""
    return {k: _plain(v) for k, v in params.items()}


def _plain(v: float | np.ndarray) -> float | np.ndarray:
    arr = np.asarray(v, dtype=float)
    return float(arr) if arr.ndim == 0 else arr


def _gamma_from_log_moments(m: np.ndarray, s: np.ndarray) -> dict[str, np.ndarray]:
    """Gamma(alpha, beta) with E[log X] = m and sd[log X] = s: trigamma(alpha) = s**2, then
    log(beta) = digamma(alpha) - m."""
    target = np.atleast_1d(s) ** 2
    alpha = np.array([_inverse(special.polygamma, 1, t) for t in target]).reshape(np.shape(s))
    beta = np.exp(special.digamma(alpha) - m)
    return {"alpha": alpha, "beta": beta}


def _inverse(f: Callable[[int, float], float], order: int, target: float) -> float:
    """The alpha > 0 with ``polygamma(order, alpha) == target`` (decreasing in alpha)."""

    def gap(log_alpha: float) -> float:
        return float(np.log(f(order, np.exp(log_alpha))) - np.log(target))

    return float(np.exp(optimize.brentq(gap, -30.0, 30.0, xtol=1e-12)))


def _beta_from_logit_moments(m: np.ndarray, s: np.ndarray) -> dict[str, np.ndarray]:
    """Beta(a, b) with E[logit X] = digamma(a) - digamma(b) = m and
    Var[logit X] = trigamma(a) + trigamma(b) = s**2 (solved in log a, log b)."""
    ms, ss = np.atleast_1d(m), np.atleast_1d(s)
    a_out, b_out = np.empty_like(ms), np.empty_like(ms)
    for i, (mi, si) in enumerate(zip(ms, ss, strict=True)):

        def equations(z: np.ndarray, mi: float = mi, si: float = si) -> list[float]:
            a, b = np.exp(z)
            return [
                special.digamma(a) - special.digamma(b) - mi,
                np.log(special.polygamma(1, a) + special.polygamma(1, b)) - 2 * np.log(si),
            ]

        # start from the logit-normal's usual approximation: a + b ~ 2 / s**2, a / (a + b) ~ p
        p = special.expit(mi)
        total = max(2.0 / si**2, 0.1)
        z = optimize.fsolve(equations, np.log([p * total + TINY, (1 - p) * total + TINY]))
        a_out[i], b_out[i] = np.exp(z)
    return {"alpha": a_out.reshape(np.shape(m)), "beta": b_out.reshape(np.shape(m))}
