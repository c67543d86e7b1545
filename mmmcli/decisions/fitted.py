"""The decisions part of a fit: its response model, curves, marginal returns and, when the
config asks for one, the allocation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from ..inputs.data import ModelData
from ..priors.resolve import PriorSet
from ..spec.config import Config, Optimize
from .allocate import Allocation, allocate
from .curves import marginal_returns, response_curves
from .response import ResponseModel, from_fit


@dataclass
class Decisions:
    model: ResponseModel
    curves: pd.DataFrame
    marginal: pd.DataFrame
    allocation: Allocation | None = None
    request: Optimize | None = None


def decide(
    cfg: Config,
    data: ModelData,
    priors: PriorSet,
    posterior: xr.DataTree | xr.Dataset,
    parameters: dict[str, np.ndarray],
    optimize: bool,
) -> Decisions:
    """Response model, curves and marginal returns of a fit; the config's allocation when
    ``optimize`` (the caller decides whether the fit's status allows it)."""
    model = from_fit(
        cfg,
        data.spend,
        list(data.dates.strftime("%Y-%m-%d")),
        data.n_train,
        data.freq,
        data.spend_scale,
        priors,
        posterior,
        parameters,
    )
    out = Decisions(
        model, response_curves(model, cfg.hdi_prob), marginal_returns(model, cfg.hdi_prob)
    )
    if optimize and cfg.optimize is not None:
        out.request = cfg.optimize
        out.allocation = allocate(model, cfg.optimize, cfg.hdi_prob)
    return out
