"""Adstock and saturation: pure tensor functions, and small named classes a YAML ``type`` selects.

Units (see README): spend enters divided by the channel's spend scale, so ``x = 1`` is a typical
period's spend. Adstock weights are normalised to sum to 1 (adstocked spend stays in spend
units); saturation curves map ``x >= 0`` into ``[0, 1)``, and the channel coefficient multiplies
them, so it is the per-period ceiling in target units. ``saturation: none`` returns adstocked
spend in spend units, so the coefficient is then target units per unit of spend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytensor.tensor as pt

# ---------------------------------------------------------------- pure tensor functions


def geometric_weights(alpha, max_lag: int):
    """Lag weights ``alpha**l`` for l = 0..max_lag, normalised to sum to 1."""
    lags = pt.arange(max_lag + 1, dtype="float64")
    w = alpha**lags
    return w / w.sum()


def delayed_weights(alpha, theta, max_lag: int):
    """Delayed-peak weights ``alpha**((l - theta)**2)``, peak at lag ``theta``; normalised."""
    lags = pt.arange(max_lag + 1, dtype="float64")
    w = alpha ** ((lags - theta) ** 2)
    return w / w.sum()


def weibull_weights(shape, scale, max_lag: int):
    """Weibull survival weights ``exp(-(l / scale)**shape)``; ``scale`` in periods; normalised."""
    lags = pt.arange(max_lag + 1, dtype="float64")
    w = pt.exp(-((lags / scale) ** shape))
    return w / w.sum()


def lag_stack(x, max_lag: int) -> np.ndarray:
    """Lagged copies of every column: ``out[t, c, l] = x[t - l, c]`` (zero before the first row).

    Built once from the data, so the model's adstock is one multiply-and-sum per evaluation
    instead of shifting the spend inside the graph.
    """
    x = np.asarray(x, dtype=float)
    n = x.shape[0]
    padded = np.concatenate([np.zeros((max_lag, *x.shape[1:])), x], axis=0)
    return np.stack([padded[max_lag - lag : max_lag - lag + n] for lag in range(max_lag + 1)], -1)


def adstock(lagged, weights):
    """Carry-over of every column at once: ``out[t, c] = sum_l weights[c, l] * lagged[t, c, l]``.

    ``lagged`` is (periods, channels, max_lag + 1) from ``lag_stack``; ``weights`` is
    (channels, max_lag + 1).
    """
    return (pt.as_tensor_variable(lagged) * pt.as_tensor_variable(weights)).sum(axis=-1)


def convolve(x, weights, max_lag: int):
    """Adstock of a (periods, channels) spend array: ``adstock(lag_stack(x, max_lag), weights)``."""
    return adstock(lag_stack(x, max_lag), weights)


def logistic(x, lam):
    """``(1 - exp(-lam x)) / (1 + exp(-lam x))``: 0 at 0, approaches 1."""
    x = pt.as_tensor_variable(x)
    return (1 - pt.exp(-lam * x)) / (1 + pt.exp(-lam * x))


def hill(x, k, slope):
    """``x**slope / (x**slope + k**slope)``: half-saturated at ``x = k``."""
    x = pt.as_tensor_variable(x)
    xs = pt.switch(x > 0, x, 0) ** slope
    return xs / (xs + k**slope)


def michaelis_menten(x, k):
    """``x / (x + k)``: half-saturated at ``x = k``."""
    x = pt.as_tensor_variable(x)
    return x / (x + k)


# ---------------------------------------------------------------- registered components


@dataclass(frozen=True)
class Param:
    """A transform parameter: its domain, a default prior and its unit (for priors.csv)."""

    name: str
    domain: str  # "unit" (0, 1) or "positive" (0, inf)
    default: dict
    unit: str


class Adstock:
    """Base class: ``weights(params, max_lag)`` returns the normalised lag weights."""

    name: ClassVar[str]
    params: ClassVar[tuple[Param, ...]] = ()

    def weights(self, p: dict, max_lag: int):
        raise NotImplementedError


class NoAdstock(Adstock):
    name = "none"

    def weights(self, p, max_lag):
        return pt.concatenate([pt.ones(1), pt.zeros(max_lag)])


class GeometricAdstock(Adstock):
    name = "geometric"
    params = (Param("alpha", "unit", {"dist": "Beta", "alpha": 1, "beta": 3}, "retention/period"),)

    def weights(self, p, max_lag):
        return geometric_weights(p["alpha"], max_lag)


class DelayedAdstock(Adstock):
    name = "delayed"
    params = (
        Param("alpha", "unit", {"dist": "Beta", "alpha": 1, "beta": 3}, "retention/period"),
        Param("theta", "positive", {"dist": "HalfNormal", "sigma": 2}, "periods to peak"),
    )

    def weights(self, p, max_lag):
        return delayed_weights(p["alpha"], p["theta"], max_lag)


class WeibullAdstock(Adstock):
    name = "weibull"
    params = (
        Param("shape", "positive", {"dist": "Gamma", "alpha": 2, "beta": 2}, "dimensionless"),
        Param("scale", "positive", {"dist": "Gamma", "alpha": 2, "beta": 1}, "periods"),
    )

    def weights(self, p, max_lag):
        return weibull_weights(p["shape"], p["scale"], max_lag)


class Saturation:
    """Base class: ``apply(x, params, spend_scale)`` maps scaled adstocked spend to the response."""

    name: ClassVar[str]
    params: ClassVar[tuple[Param, ...]] = ()
    bounded: ClassVar[bool] = True  # response in [0, 1): the coefficient is a ceiling

    def apply(self, x, p: dict, spend_scale):
        raise NotImplementedError


class NoSaturation(Saturation):
    name = "none"
    bounded = False

    def apply(self, x, p, spend_scale):
        return pt.as_tensor_variable(x) * spend_scale


class LogisticSaturation(Saturation):
    name = "logistic"
    params = (Param("lam", "positive", {"dist": "Gamma", "alpha": 3, "beta": 1}, "1/spend_scale"),)

    def apply(self, x, p, spend_scale):
        return logistic(x, p["lam"])


class HillSaturation(Saturation):
    name = "hill"
    params = (
        Param("k", "positive", {"dist": "Gamma", "alpha": 2, "beta": 2}, "spend_scale"),
        Param("slope", "positive", {"dist": "Gamma", "alpha": 3, "beta": 2}, "dimensionless"),
    )

    def apply(self, x, p, spend_scale):
        return hill(x, p["k"], p["slope"])


class MichaelisMentenSaturation(Saturation):
    name = "michaelis_menten"
    params = (Param("k", "positive", {"dist": "Gamma", "alpha": 2, "beta": 2}, "spend_scale"),)

    def apply(self, x, p, spend_scale):
        return michaelis_menten(x, p["k"])


ADSTOCKS: dict[str, Adstock] = {
    c.name: c() for c in (NoAdstock, GeometricAdstock, DelayedAdstock, WeibullAdstock)
}
SATURATIONS: dict[str, Saturation] = {
    c.name: c()
    for c in (NoSaturation, LogisticSaturation, HillSaturation, MichaelisMentenSaturation)
}
