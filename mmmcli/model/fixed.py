"""Calibration ``method: fixed``: a channel's coefficient solved from its experiments alone.

The channel's adstock and saturation parameters are held at their configured numbers or prior
medians, its response to spend is computed with the model's own transform functions (so the
solve and the fit compare like with like), and the coefficient is the non-negative weighted
least-squares fit of that response to the experiments. All of them become ``fixed`` rows of
priors.csv.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from ..errors import DataError
from ..inputs.calibration import Calibration
from ..inputs.data import ModelData
from ..priors.resolve import PriorSet, ResolvedPrior
from ..spec import names
from ..spec.config import Config
from .transforms import channel_response


def fix_calibrated(cfg: Config, data: ModelData, priors: PriorSet, calib: Calibration) -> PriorSet:
    """``priors`` with each ``fixed``-calibrated channel's parameters held constant."""
    out = PriorSet(priors)
    for channel in calib.fixed_channels():
        ch = cfg.channels[channel]
        if cfg.varying(channel) is not None:
            raise DataError(
                f"channels.{channel}: 'fixed' calibration holds the coefficient constant, which a "
                f"time-varying coefficient is not; use method 'likelihood'"
            )
        params = {}
        for _, _, p in ch.transform_params():
            name = names.transform_param(channel, p.name)
            prior = out[name]
            params[p.name] = prior.median()
            if not prior.is_fixed:
                out[name] = prior.fixed_at(prior.median(), "fixed (calibration: prior median)")
        j = data.channels.index(channel)
        spend = data.spend[: data.n_train, j]
        scale = float(data.spend_scale[j])
        observed = channel_response(ch, spend, params, scale)
        rows, targets, weights = [], [], []
        for s in calib.series:
            if s.channel == channel:
                rows.extend(observed[s.index])
                targets.extend(s.uplift)
                weights.extend(np.ones(len(s.uplift)) if s.sigma is None else 1 / s.sigma)
        for t in calib.tests:
            if t.channel == channel:
                without = channel_response(ch, spend - t.delta, params, scale)
                rows.append(float(((observed - without) * t.horizon).sum()))
                targets.append(t.uplift)
                weights.append(1 / t.sigma)
        a = np.asarray(rows) * np.asarray(weights)
        b = np.asarray(targets) * np.asarray(weights)
        if not np.any(a):
            raise DataError(
                f"channels.{channel}: the fixed calibration's spend gives no response "
                f"to solve the coefficient from"
            )
        coef = float(optimize.lsq_linear(a[:, None], b, bounds=(0, np.inf)).x[0])
        key = names.coefficient(channel)
        source = "fixed (calibration: least squares)"
        if key in out:
            out[key] = out[key].fixed_at(coef, source)
        else:  # the channel had a ROAS/CPA prior: the experiments now set its coefficient
            returns = [names.roas(channel), names.cpa(channel)]
            prior = next(out.pop(name) for name in returns if name in out)
            unit = (
                "target/period (ceiling)"
                if ch.saturation.definition.bounded
                else (f"target per unit of {ch.spend}")
            )
            out[key] = ResolvedPrior(
                key, None, {}, source, unit, f"channels.{channel}.coefficient", value=coef
            )
            if prior.source != "default":
                raise DataError(
                    f"channels.{channel}: 'fixed' calibration sets the coefficient from the "
                    f"experiments, which leaves no room for its {prior.key} prior; drop one"
                )
    return out
