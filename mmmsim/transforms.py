"""The media transforms and calendar features, in numpy, written independently of ``mmmcli``.

Same definitions as the tool documents (README, "Units"): lag weights normalised to sum to 1,
spend before the first period taken as 0, saturation on spend divided by its scale.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DAYS_PER_YEAR = 365.25


def geometric_weights(alpha: float, max_lag: int) -> np.ndarray:
    """Normalised geometric weights ``alpha**l`` for l = 0..max_lag."""
    w = alpha ** np.arange(max_lag + 1)
    return w / w.sum()


def delayed_weights(alpha: float, theta: float, max_lag: int) -> np.ndarray:
    """Normalised delayed-peak weights ``alpha**((l - theta)**2)``."""
    w = alpha ** ((np.arange(max_lag + 1) - theta) ** 2)
    return w / w.sum()


def weibull_weights(shape: float, scale: float, max_lag: int) -> np.ndarray:
    """Normalised Weibull survival weights ``exp(-(l / scale)**shape)``."""
    w = np.exp(-((np.arange(max_lag + 1) / scale) ** shape))
    return w / w.sum()


def adstock(spend: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Carry-over: ``out[t] = sum_l weights[l] * spend[t - l]``, zero spend before the start."""
    return np.convolve(spend, weights)[: len(spend)]


def spend_scale(spend: np.ndarray) -> float:
    """Mean of the non-zero spend values."""
    return float(spend[spend > 0].mean())


def logistic(x: np.ndarray, lam: float) -> np.ndarray:
    """``(1 - exp(-lam x)) / (1 + exp(-lam x))``."""
    e = np.exp(-lam * x)
    return (1.0 - e) / (1.0 + e)


def hill(x: np.ndarray, k: float, slope: float) -> np.ndarray:
    """``x**slope / (x**slope + k**slope)``."""
    xs = np.clip(x, 0, None) ** slope
    return xs / (xs + k**slope)


def michaelis_menten(x: np.ndarray, k: float) -> np.ndarray:
    """``x / (x + k)``."""
    return x / (x + k)


def year_phase(dates: pd.DatetimeIndex) -> np.ndarray:
    """tau = days since 1970-01-01 divided by 365.25."""
    return (dates - pd.Timestamp("1970-01-01")).days.to_numpy() / DAYS_PER_YEAR


def fourier(tau: np.ndarray, order: int) -> np.ndarray:
    """Columns [sin1, cos1, sin2, cos2, ...] of the yearly phase."""
    cols = []
    for k in range(1, order + 1):
        cols += [np.sin(2 * np.pi * k * tau), np.cos(2 * np.pi * k * tau)]
    return np.column_stack(cols) if cols else np.zeros((len(tau), 0))
