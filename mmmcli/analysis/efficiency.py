"""ROAS and CPA: the one place that turns contributions and spend into a channel's efficiency.

Revenue targets report ROAS (contribution per unit of spend); conversion targets report CPA
(spend per conversion). CPA is the inverse of contribution per unit spend, so a contribution at
or below zero gives an infinite CPA (a bound, never a crash), and CPA intervals are the inverted
intervals of contribution per unit spend.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Interval = Callable[[np.ndarray], tuple[float, float]]


def metric(kind: str) -> str:
    """``roas`` for revenue targets, ``cpa`` for conversions."""
    return "roas" if kind == "revenue" else "cpa"


def inverse(x: float) -> float:
    """``1 / x``, infinite where ``x <= 0`` (no spend buys nothing)."""
    return 1 / x if x > 0 else np.inf


def per_draw(kind: str, contribution: np.ndarray, spend: float) -> np.ndarray:
    """ROAS or CPA of every draw of a channel's total contribution."""
    per_spend = contribution / spend
    if kind == "revenue":
        return per_spend
    return np.divide(1.0, per_spend, out=np.full_like(per_spend, np.inf), where=per_spend > 0)


def summary(
    kind: str, contribution: np.ndarray, spend: float, interval: Interval
) -> dict[str, float]:
    """``{roas|cpa}_mean``, ``_hdi_low``, ``_hdi_high`` of a channel's total contribution draws.

    ``interval`` maps draws of contribution per unit spend to its (low, high) interval.
    """
    per_spend = contribution / spend
    low, high = interval(per_spend)
    if kind == "revenue":
        return {"roas_mean": float(per_spend.mean()), "roas_hdi_low": low, "roas_hdi_high": high}
    mean = float(contribution.mean())
    with np.errstate(divide="ignore"):
        return {
            "cpa_mean": spend / mean if mean > 0 else np.inf,
            "cpa_hdi_low": inverse(high),
            "cpa_hdi_high": inverse(low),
        }
