"""Small numeric helpers shared by results and diagnostics: HDI and fit metrics."""

from __future__ import annotations

import numpy as np


def hdi(samples: np.ndarray, prob: float) -> tuple[np.ndarray, np.ndarray]:
    """Highest-density interval of ``samples`` along axis 0 (the draws), for each other entry."""
    x = np.sort(np.asarray(samples, dtype=float), axis=0)
    n = x.shape[0]
    width = max(1, min(n - 1, int(np.floor(prob * n))))
    if n < 2:
        return x[0], x[0]
    spans = x[width:] - x[: n - width]
    start = np.argmin(spans, axis=0)
    low = np.take_along_axis(x, start[None, ...], axis=0)[0]
    high = np.take_along_axis(x, (start + width)[None, ...], axis=0)[0]
    return low, high


def fit_metrics(y: np.ndarray, yhat: np.ndarray) -> dict[str, float | None]:
    """R², MAPE, SMAPE and NRMSE (RMSE over the range of y) of a point prediction."""
    y = np.asarray(y, dtype=float)
    yhat = np.asarray(yhat, dtype=float)
    resid = y - yhat
    ss_tot = float(((y - y.mean()) ** 2).sum())
    rmse = float(np.sqrt((resid**2).mean()))
    span = float(y.max() - y.min())
    nonzero = y != 0
    denom = np.abs(y) + np.abs(yhat)
    return {
        "r2": 1 - float((resid**2).sum()) / ss_tot if ss_tot > 0 else None,
        "mape": float(np.mean(np.abs(resid[nonzero]) / np.abs(y[nonzero])))
        if nonzero.all()
        else None,
        "smape": float(
            np.mean(np.where(denom > 0, 2 * np.abs(resid) / np.where(denom > 0, denom, 1), 0))
        ),
        "nrmse": rmse / span if span > 0 else None,
        "rmse": rmse,
        "n": int(len(y)),
    }
