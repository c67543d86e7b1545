"""Prior-data conflict: where a bounded prior and the data disagree.

For every prior given as ``bounds``, compare the posterior with the user's interval: the
posterior mass inside it, the posterior/prior sd ratio, and whether the posterior piles at a
bound or leaves the interval. This answers the question users ask most about bounded priors:
why the fit got worse when they added them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..priors.resolve import PriorSet

EDGE = 0.1  # the outer 10% of the interval at each end counts as "at the bound"
PILE = 0.5  # flagged when more than half the posterior sits there (or beyond)

COLUMNS = [
    "parameter",
    "lower",
    "upper",
    "requested_mass",
    "prior_mass",
    "posterior_mass_inside",
    "prior_sd",
    "posterior_mean",
    "posterior_sd",
    "sd_ratio",
    "flag",
]


def prior_conflict(priors: PriorSet, posterior: Any) -> pd.DataFrame:
    """One row per bounded prior of a sampled (scalar) parameter; ``flag`` is ok, at_lower,
    at_upper or outside."""
    rows = []
    for name, prior in priors.items():
        if prior.bounds is None or prior.is_fixed or name not in posterior:
            continue
        draws = np.asarray(posterior[name]).ravel()
        lo, hi = prior.bounds.lower, prior.bounds.upper
        edge = EDGE * (hi - lo)
        inside = float(np.mean((draws >= lo) & (draws <= hi)))
        median = float(np.median(draws))
        if median < lo or median > hi:
            flag = "outside"
        elif np.mean(draws < lo + edge) > PILE:
            flag = "at_lower"
        elif np.mean(draws > hi - edge) > PILE:
            flag = "at_upper"
        else:
            flag = "ok"
        prior_sd = float(prior.frozen().std())
        sd = float(draws.std())
        rows.append(
            {
                "parameter": name,
                "lower": lo,
                "upper": hi,
                "requested_mass": prior.bounds.mass,
                "prior_mass": prior.achieved_mass,
                "posterior_mass_inside": inside,
                "prior_sd": prior_sd,
                "posterior_mean": float(draws.mean()),
                "posterior_sd": sd,
                "sd_ratio": sd / prior_sd if prior_sd > 0 else np.nan,
                "flag": flag,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)
