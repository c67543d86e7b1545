"""Adstock and saturation as pure tensor functions, registered under the config's type names.

The types, their parameters and units are declared in ``spec.transforms``; this module holds
their formulas (see that module and the README for the units).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytensor.tensor as pt
from pytensor.tensor import TensorLike
from pytensor.tensor.variable import TensorVariable

from ..spec.config import Channel
from ..spec.transforms import ADSTOCKS, SATURATIONS

# ---------------------------------------------------------------- pure tensor functions


def geometric_weights(alpha: TensorLike, max_lag: int) -> TensorVariable:
    """Lag weights ``alpha**l`` for l = 0..max_lag, normalised to sum to 1."""
    lags = pt.arange(max_lag + 1, dtype="float64")
    w = alpha**lags
    return w / w.sum()


def delayed_weights(alpha: TensorLike, theta: TensorLike, max_lag: int) -> TensorVariable:
    """Delayed-peak weights ``alpha**((l - theta)**2)``, peak at lag ``theta``; normalised."""
    lags = pt.arange(max_lag + 1, dtype="float64")
    w = alpha ** ((lags - theta) ** 2)
    return w / w.sum()


def weibull_weights(shape: TensorLike, scale: TensorLike, max_lag: int) -> TensorVariable:
    """Weibull survival weights ``exp(-(l / scale)**shape)``; ``scale`` in periods; normalised."""
    lags = pt.arange(max_lag + 1, dtype="float64")
    w = pt.exp(-((lags / scale) ** shape))
    return w / w.sum()


def lag_stack(x: np.ndarray, max_lag: int) -> np.ndarray:
    """Lagged copies of every column: ``out[t, c, l] = x[t - l, c]`` (zero before the first row).

    Built once from the data, so the model's adstock is one multiply-and-sum per evaluation
    instead of shifting the spend inside the graph.
    """
    x = np.asarray(x, dtype=float)
    n = x.shape[0]
    padded = np.concatenate([np.zeros((max_lag, *x.shape[1:])), x], axis=0)
    return np.stack([padded[max_lag - lag : max_lag - lag + n] for lag in range(max_lag + 1)], -1)


def adstock(lagged: TensorLike, weights: TensorLike) -> TensorVariable:
    """Carry-over of every column at once: ``out[t, c] = sum_l weights[c, l] * lagged[t, c, l]``.

    ``lagged`` is (periods, channels, max_lag + 1) from ``lag_stack``; ``weights`` is
    (channels, max_lag + 1).
    """
    return (pt.as_tensor_variable(lagged) * pt.as_tensor_variable(weights)).sum(axis=-1)


def convolve(x: np.ndarray, weights: TensorLike, max_lag: int) -> TensorVariable:
    """Adstock of a (periods, channels) spend array: ``adstock(lag_stack(x, max_lag), weights)``."""
    return adstock(lag_stack(x, max_lag), weights)


def logistic(x: TensorLike, lam: TensorLike) -> TensorVariable:
    """``(1 - exp(-lam x)) / (1 + exp(-lam x))``: 0 at 0, approaches 1 (as ``tanh(lam x / 2)``,
    which does not overflow)."""
    return pt.tanh(lam * pt.as_tensor_variable(x) / 2)


def hill(x: TensorLike, k: TensorLike, slope: TensorLike) -> TensorVariable:
    """``x**slope / (x**slope + k**slope)``: half-saturated at ``x = k``.

    Evaluated as ``sigmoid(slope * (log x - log k))``, which neither overflows for large spend
    nor has a NaN gradient in ``slope`` at zero spend (``0**slope * log 0``), as the power form
    does in flighted channels.
    """
    x = pt.as_tensor_variable(x)
    positive = x > 0
    safe = pt.switch(positive, x, 1.0)
    return pt.switch(positive, pt.sigmoid(slope * (pt.log(safe) - pt.log(k))), 0.0)


def michaelis_menten(x: TensorLike, k: TensorLike) -> TensorVariable:
    """``x / (x + k)``: half-saturated at ``x = k``."""
    x = pt.as_tensor_variable(x)
    return x / (x + k)


# ---------------------------------------------------------------- by the config's type names

# Adstock: (parameters, max_lag) -> normalised lag weights.
ADSTOCK_WEIGHTS: dict[str, Callable[[dict, int], Any]] = {
    "none": lambda p, max_lag: pt.concatenate([pt.ones(1), pt.zeros(max_lag)]),
    "geometric": lambda p, max_lag: geometric_weights(p["alpha"], max_lag),
    "delayed": lambda p, max_lag: delayed_weights(p["alpha"], p["theta"], max_lag),
    "weibull": lambda p, max_lag: weibull_weights(p["shape"], p["scale"], max_lag),
}

# Saturation: (scaled adstocked spend, parameters, spend scale) -> response before the coefficient.
SATURATION_CURVES: dict[str, Callable[[Any, dict, Any], Any]] = {
    "none": lambda x, p, spend_scale: pt.as_tensor_variable(x) * spend_scale,
    "logistic": lambda x, p, spend_scale: logistic(x, p["lam"]),
    "hill": lambda x, p, spend_scale: hill(x, p["k"], p["slope"]),
    "michaelis_menten": lambda x, p, spend_scale: michaelis_menten(x, p["k"]),
}
assert ADSTOCK_WEIGHTS.keys() == ADSTOCKS.keys() and SATURATION_CURVES.keys() == SATURATIONS.keys()


def channel_response(
    channel: Channel, spend: np.ndarray, params: dict[str, float], scale: float
) -> np.ndarray:
    """One channel's transformed spend (before the coefficient), numerically, for one column."""
    lag = channel.lag
    x = np.asarray(spend, dtype=float)[:, None] / scale
    w = ADSTOCK_WEIGHTS[channel.adstock.type](params, lag)[None, :]
    adstocked = convolve(x, w, lag)[:, 0] if lag else x[:, 0]
    curve = SATURATION_CURVES[channel.saturation.type](adstocked, params, scale)
    return curve.eval(mode="FAST_COMPILE")
