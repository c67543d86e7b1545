"""The curated prior families: their parameters, supports, PyMC and SciPy counterparts.

Each family is registered by the name a YAML config uses (``dist: Gamma``). One table
drives validation, the JSON Schema, bounds solving (via SciPy) and graph building (via PyMC).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pymc as pm
from scipy import stats

INF = float("inf")


@dataclass(frozen=True)
class Family:
    """One prior family: parameter names, which must be positive, and how to build it."""

    name: str
    params: tuple[str, ...]
    positive: tuple[str, ...]
    pymc: Callable[..., object]
    scipy: Callable[..., stats.rv_continuous]
    # Parameters a bounds solve leaves fixed (with their defaults); the rest are solved.
    solve_fixed: dict[str, float] = field(default_factory=dict)

    def frozen(self, params: dict[str, float]):
        """The SciPy frozen distribution with these parameters."""
        return self.scipy(**params)

    def support(self, params: dict[str, float]) -> tuple[float, float]:
        lo, hi = self.frozen(params).support()
        return float(lo), float(hi)

    def check(self, params: dict[str, float]) -> str | None:
        """Return a problem with these parameter values, or None when they are valid."""
        missing = [p for p in self.params if p not in params]
        if missing:
            return f"{self.name} needs {', '.join(missing)} (parameters: {', '.join(self.params)})"
        extra = [p for p in params if p not in self.params]
        if extra:
            return (
                f"{self.name} has no parameter {', '.join(extra)} "
                f"(parameters: {', '.join(self.params)})"
            )
        for p in self.params:
            if not np.isfinite(params[p]):
                return f"{self.name} parameter {p} must be finite"
        for p in self.positive:
            if params[p] <= 0:
                return f"{self.name} parameter {p} must be > 0, got {params[p]:g}"
        if "lower" in params and "upper" in params and params["lower"] >= params["upper"]:
            return f"{self.name} needs lower < upper"
        return None

    def build(self, name: str, params: dict[str, float], **kwargs):
        """Create the PyMC random variable ``name`` in the current model."""
        return self.pymc(name, **params, **kwargs)


def _truncnorm(mu, sigma, lower, upper):
    return stats.truncnorm((lower - mu) / sigma, (upper - mu) / sigma, loc=mu, scale=sigma)


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in [
        Family(
            "Normal",
            ("mu", "sigma"),
            ("sigma",),
            pm.Normal,
            lambda mu, sigma: stats.norm(mu, sigma),
        ),
        Family(
            "HalfNormal",
            ("sigma",),
            ("sigma",),
            pm.HalfNormal,
            lambda sigma: stats.halfnorm(0, sigma),
        ),
        Family(
            "LogNormal",
            ("mu", "sigma"),
            ("sigma",),
            pm.LogNormal,
            lambda mu, sigma: stats.lognorm(sigma, scale=np.exp(mu)),
        ),
        Family(
            "Gamma",
            ("alpha", "beta"),
            ("alpha", "beta"),
            pm.Gamma,
            lambda alpha, beta: stats.gamma(alpha, scale=1 / beta),
        ),
        Family(
            "Beta",
            ("alpha", "beta"),
            ("alpha", "beta"),
            pm.Beta,
            lambda alpha, beta: stats.beta(alpha, beta),
        ),
        Family(
            "TruncatedNormal",
            ("mu", "sigma", "lower", "upper"),
            ("sigma",),
            pm.TruncatedNormal,
            _truncnorm,
        ),
        Family(
            "StudentT",
            ("nu", "mu", "sigma"),
            ("nu", "sigma"),
            pm.StudentT,
            lambda nu, mu, sigma: stats.t(nu, mu, sigma),
            solve_fixed={"nu": 3.0},
        ),
        Family(
            "HalfStudentT",
            ("nu", "sigma"),
            ("nu", "sigma"),
            pm.HalfStudentT,
            lambda nu, sigma: _HalfT(nu, sigma),
            solve_fixed={"nu": 3.0},
        ),
        Family(
            "Exponential", ("lam",), ("lam",), pm.Exponential, lambda lam: stats.expon(0, 1 / lam)
        ),
        Family(
            "Uniform",
            ("lower", "upper"),
            (),
            pm.Uniform,
            lambda lower, upper: stats.uniform(lower, upper - lower),
        ),
        Family("Laplace", ("mu", "b"), ("b",), pm.Laplace, lambda mu, b: stats.laplace(mu, b)),
    ]
}


class _HalfT:
    """|T| for T ~ StudentT(nu, 0, sigma): the SciPy-style methods the tool uses."""

    def __init__(self, nu: float, sigma: float):
        self._t = stats.t(nu, 0, sigma)

    def cdf(self, x):
        return np.where(np.asarray(x) < 0, 0.0, 2 * self._t.cdf(x) - 1)

    def ppf(self, q):
        return self._t.ppf((np.asarray(q) + 1) / 2)

    def median(self):
        return float(self.ppf(0.5))

    def support(self):
        return (0.0, INF)

    def std(self):
        nu, sigma = self._t.args[0], self._t.kwds.get("scale", self._t.args[-1])
        if nu <= 2:
            return INF
        mean = float(self.mean())
        return float(np.sqrt(sigma**2 * nu / (nu - 2) - mean**2))

    def mean(self):
        return float(self._t.expect(lambda x: abs(x)))

    def entropy(self):
        return float(self._t.entropy() - np.log(2))

    def rvs(self, size=None, random_state=None):
        return np.abs(self._t.rvs(size=size, random_state=random_state))


def family(name: str) -> Family:
    """Look a family up by its config name, or raise KeyError listing the known ones."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise KeyError(f"unknown distribution {name!r}; known: {', '.join(FAMILIES)}") from None
