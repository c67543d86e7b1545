"""The mean and interval of posterior draws, as every decision output reports them.

A mean must lie inside its own interval, and the highest-density interval does not promise
that: when the draws are lopsided the HDI can miss the mean. The case that showed it: at a
budget far past the data, a channel's next dollar buys *exactly* nothing in most draws (its
curve has reached 1.0 in floating point), while in the rest it still buys a little. The 94% HDI
is then [0, a sliver] and the mean, carried by the draws that still respond, lies above it, so
the marginal CPA's mean came out below its own interval. Such an interval is stretched just far
enough to reach the mean: it still holds at least the stated share of the draws, only more.
The same applies, in the last bit, to a CPA whose mean (spend over mean response) and interval
(inverted from response per unit spend) are rounded differently.
"""

from __future__ import annotations

import numpy as np

from ..analysis.stats import hdi


def credible(draws: np.ndarray, prob: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, low and high along axis 0 (the draws): the HDI, stretched to reach the mean."""
    x = np.asarray(draws, dtype=float)
    mean = x.mean(axis=0)
    low, high = hdi(x, prob)
    return mean, np.minimum(low, mean), np.maximum(high, mean)


def holding_mean(summary: dict[str, float], prefix: str) -> dict[str, float]:
    """``summary`` with ``<prefix>_hdi_low``/``_hdi_high`` stretched to reach ``<prefix>_mean``."""
    mean = summary[f"{prefix}_mean"]
    out = dict(summary)
    out[f"{prefix}_hdi_low"] = min(summary[f"{prefix}_hdi_low"], mean)
    out[f"{prefix}_hdi_high"] = max(summary[f"{prefix}_hdi_high"], mean)
    return out
