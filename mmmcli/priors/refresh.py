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

from ..spec.families import FAMILIES
from .resolve import ResolvedPrior

REAL = ("Normal", "StudentT", "Laplace")
POSITIVE = ("HalfNormal", "LogNormal", "Gamma", "HalfStudentT", "Exponential")
BOUNDED = ("TruncatedNormal", "Uniform")
TINY = 1e-12


def refreshed(prior: ResolvedPrior, draws: np.ndarray, widen: float, run: str) -> ResolvedPrior:
    """``prior``'s family fitted to ``draws`` (draws first; more axes for a vector parameter),
    spread widened by ``widen`` but never beyond the spread of ``prior`` itself on the same
    scale (a refresh adds information, it never takes any away: where the data said little, the
    posterior is as wide as the prior, and widening it would give shapes with a pole at the
    boundary, Beta(0.01, ...), that NUTS cannot sample). ``source: refresh``, ``origin: run``;
    ``prior`` unchanged when no valid member of the family fits."""
    x = np.asarray(draws, dtype=float)
    dist = prior.dist
    assert dist is not None, f"{prior.name} is fixed: nothing to refresh"
    to_scale = _UNCONSTRAINED.get(dist, _identity)
    z = to_scale(x)
    m = z.mean(axis=0)
    cap = _sd(to_scale(_prior_draws(prior, x.shape[1:])))
    s = np.minimum(_sd(z) * widen, cap)
    if not (np.isfinite(m).all() and np.isfinite(s).all()):
        return prior
    params: dict[str, Any]
    if dist in REAL:
        if dist == "Laplace":
            params = {"mu": m, "b": s / np.sqrt(2)}
        elif dist == "StudentT":
            params = {"nu": prior.params["nu"], "mu": m, "sigma": s}
        else:
            params = {"mu": m, "sigma": s}
    elif dist in POSITIVE:
        if dist == "LogNormal":
            params = {"mu": m, "sigma": s}
        else:
            try:
                dist, params = "Gamma", _gamma_from_log_moments(m, s)
            except ValueError:  # no root in range: a spread no Gamma has
                return prior
    elif dist == "Beta":
        params = _beta_from_logit_moments(m, s)
    elif dist in BOUNDED:
        lower = prior.params["lower"]
        upper = prior.params["upper"]
        dist = "TruncatedNormal"
        params = {"mu": m, "sigma": s, "lower": lower, "upper": upper}
    else:  # pragma: no cover - every family is listed above
        raise ValueError(f"no refresh rule for {dist}")
    params = _plain_all(params)
    scalar = {k: float(np.ravel(v)[0]) for k, v in params.items()}
    valid = all(np.isfinite(np.asarray(v, dtype=float)).all() for v in params.values())
    if not valid or FAMILIES[dist].check(scalar) is not None:
        return prior
    return replace(
        prior,
        dist=dist,
        params=params,
        source="refresh",
        bounds=None,
        achieved_mass=None,
        origin=run,
        replaced=prior,
    )


def _identity(x: np.ndarray) -> np.ndarray:
    return x


def _log(x: np.ndarray) -> np.ndarray:
    positive = x[x > 0]
    floor = 1e-6 * float(np.median(positive)) if positive.size else 1e-12
    return np.log(np.maximum(x, floor))  # an exact 0 (underflow) must not dominate the moments


def _logit(x: np.ndarray) -> np.ndarray:
    u = np.clip(x, 1e-9, 1 - 1e-9)
    return np.log(u) - np.log1p(-u)


_UNCONSTRAINED = {**dict.fromkeys(POSITIVE, _log), "Beta": _logit}


def _prior_draws(prior: ResolvedPrior, shape: tuple[int, ...]) -> np.ndarray:
    """Draws of ``prior`` (seeded), shaped like a parameter with element shape ``shape``."""
    values = np.asarray(prior.frozen().rvs(size=(20_000, *shape), random_state=0), dtype=float)
    return values


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
            a, b = np.exp(np.clip(z, -700, 700))
            return [
                special.digamma(a) - special.digamma(b) - mi,
                np.log(special.polygamma(1, a) + special.polygamma(1, b)) - 2 * np.log(si),
            ]

        # start from the logit-normal's usual approximation: a + b ~ 2 / s**2, a / (a + b) ~ p
        p = special.expit(mi)
        total = max(2.0 / si**2, 0.1)
        start = np.log([p * total + TINY, (1 - p) * total + TINY])
        z, _, ier, _ = optimize.fsolve(equations, start, full_output=True)
        a_out[i], b_out[i] = np.exp(z) if ier == 1 else (np.nan, np.nan)  # nan: keep the prior
    return {"alpha": a_out.reshape(np.shape(m)), "beta": b_out.reshape(np.shape(m))}
