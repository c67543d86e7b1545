"""What a ROAS or CPA prior implies for the channel's coefficient, for ``priors.csv``.

With a ``roas:`` or ``cpa:`` prior the coefficient is derived inside the model: the value that
makes the channel's contribution over the fitted periods equal its return times its spend. That
depends on the adstock and saturation parameters, so the range shown is the one at their prior
medians (fixed values where fixed): enough to see the scale a ROAS prior puts on the ceiling.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..inputs.data import ModelData
from ..priors.resolve import PriorSet
from ..spec import names
from ..spec.config import Config
from .transforms import channel_response

TAIL = 0.05  # the range is the prior's central 90%


def prior_rows(cfg: Config, data: ModelData, priors: PriorSet) -> list[dict[str, Any]]:
    """``priors.rows()`` with an ``implied_coefficient`` column (empty but for ROAS/CPA rows)."""
    implied = implied_coefficients(cfg, data, priors)
    return [{**row, "implied_coefficient": implied.get(row["parameter"])} for row in priors.rows()]


def implied_coefficients(cfg: Config, data: ModelData, priors: PriorSet) -> dict[str, str]:
    """``{"tv_roas": "coefficient 120 - 950"}``: the central 90% of the prior, transforms at
    their prior medians (one value for a fixed ROAS/CPA)."""
    out = {}
    n = data.n_train
    for j, (name, ch) in enumerate(cfg.channels.items()):
        var = names.roas(name) if names.roas(name) in priors else names.cpa(name)
        if var not in priors:
            continue
        params = {
            p.name: priors[names.transform_param(name, p.name)].median()
            for _, _, p in ch.transform_params()
        }
        spend = data.spend[:n, j]
        curve = float(channel_response(ch, spend, params, float(data.spend_scale[j])).sum())
        prior = priors[var]
        if prior.is_fixed:
            values = np.array([prior.median()])
        else:
            values = np.asarray(prior.frozen().ppf([TAIL, 1 - TAIL]), dtype=float)
        effect = values * spend.sum() if var == names.roas(name) else spend.sum() / values
        coef = np.sort(effect / curve) if curve > 0 else np.array([np.inf])
        out[var] = "coefficient " + " - ".join(f"{c:.4g}" for c in coef)
    return out
