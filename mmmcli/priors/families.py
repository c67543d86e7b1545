"""SciPy counterparts of the prior families (``spec.families``), keyed by the same names.

Used to solve bounds, to report medians and spreads, and by the prior-data conflict report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import stats

from ..spec.families import FAMILIES

INF = float("inf")


def _truncnorm(mu: float, sigma: float, lower: float, upper: float) -> Any:
    return stats.truncnorm((lower - mu) / sigma, (upper - mu) / sigma, loc=mu, scale=sigma)


class _HalfT:
    """|T| for T ~ StudentT(nu, 0, sigma): the SciPy-style methods the tool uses."""

    def __init__(self, nu: float, sigma: float):
        self._t = stats.t(nu, 0, sigma)
        self._nu, self._sigma = nu, sigma

    def cdf(self, x: Any) -> Any:
        return np.where(np.asarray(x) < 0, 0.0, 2 * self._t.cdf(x) - 1)

    def ppf(self, q: Any) -> Any:
        return self._t.ppf((np.asarray(q) + 1) / 2)

    def median(self) -> float:
        return float(self.ppf(0.5))

    def support(self) -> tuple[float, float]:
        return (0.0, INF)

    def std(self) -> float:
        if self._nu <= 2:
            return INF
        mean = self.mean()
        return float(np.sqrt(self._sigma**2 * self._nu / (self._nu - 2) - mean**2))

    def mean(self) -> float:
        return float(self._t.expect(lambda x: abs(x)))

    def entropy(self) -> float:
        return float(self._t.entropy() - np.log(2))

    def rvs(self, size: Any = None, random_state: Any = None) -> Any:
        return np.abs(self._t.rvs(size=size, random_state=random_state))


SCIPY: dict[str, Callable[..., Any]] = {
    "Normal": lambda mu, sigma: stats.norm(mu, sigma),
    "HalfNormal": lambda sigma: stats.halfnorm(0, sigma),
    "LogNormal": lambda mu, sigma: stats.lognorm(sigma, scale=np.exp(mu)),
    "Gamma": lambda alpha, beta: stats.gamma(alpha, scale=1 / beta),
    "Beta": lambda alpha, beta: stats.beta(alpha, beta),
    "TruncatedNormal": _truncnorm,
    "StudentT": lambda nu, mu, sigma: stats.t(nu, mu, sigma),
    "HalfStudentT": _HalfT,
    "Exponential": lambda lam: stats.expon(0, 1 / lam),
    "Uniform": lambda lower, upper: stats.uniform(lower, upper - lower),
    "Laplace": lambda mu, b: stats.laplace(mu, b),
}
assert SCIPY.keys() == FAMILIES.keys(), "every family needs its SciPy counterpart"


def frozen(dist: str, params: dict[str, float]) -> Any:
    """The SciPy frozen distribution of family ``dist`` with these parameters."""
    return SCIPY[dist](**params)


def support(dist: str, params: dict[str, float]) -> tuple[float, float]:
    lo, hi = frozen(dist, params).support()
    return float(lo), float(hi)
