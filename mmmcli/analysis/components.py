"""Per-period components (contributions, trend, seasonality, mu, paths) for every draw.

Sampling stores only the free parameters; the per-period Deterministics are evaluated here
afterwards, for all draws at once: the components' graph is vectorised over a leading draw axis
and evaluated in chunks, instead of once per draw. With a holdout, the fitted graph's data
(training periods) are replaced by the full series in the compiled function only; the caller's
model is left untouched.
"""

from __future__ import annotations

import warnings

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt
import xarray as xr
from pytensor.graph.replace import graph_replace, vectorize_graph

from ..inputs.calibration import Calibration
from ..inputs.data import ModelData
from ..model.build import data_values
from ..spec import names
from ..spec.config import Config

# Largest number of float64 elements one batched evaluation may create per output (~16 MB).
CHUNK_ELEMENTS = 2_000_000


def component_draws(
    cfg: Config, model: pm.Model, data: ModelData, idata: xr.DataTree, calib: Calibration
) -> dict[str, np.ndarray]:
    """Per-period Deterministics for every draw, as (draws, periods[, dim]) arrays, full series."""
    outputs = [c for c in (*names.COMPONENTS, *names.RESPONSE_PARAMETERS) if c in model.named_vars]
    outputs += [n for n in model.named_vars if names.is_path(n) and n not in outputs]
    if model.named_vars.get(names.INTERCEPT) in model.deterministics:  # derived, not sampled
        outputs.append(names.INTERCEPT)
    post = idata.posterior
    free = [rv for rv in model.free_RVs if rv.name in post]
    samples = {
        rv.name: np.asarray(post[rv.name].stack(sample=("chain", "draw")).transpose("sample", ...))
        for rv in free
    }
    full = {}
    if data.n > data.n_train:
        values = data_values(cfg, data, calib, data.n)
        full = {model[k]: pt.constant(v) for k, v in values.items() if k in model.named_vars}
    evaluate = _batched_function(model, free, outputs, full)
    total = next(iter(samples.values())).shape[0] if samples else 1
    per_draw = max(1, data.n * len(data.channels) * (cfg.max_lag + 1))  # the adstock product
    chunk = max(1, CHUNK_ELEMENTS // per_draw)
    pieces: dict[str, list[np.ndarray]] = {name: [] for name in outputs}
    for lo in range(0, total, chunk):
        batch = [samples[rv.name][lo : lo + chunk] for rv in free]
        n_draws = min(chunk, total - lo)
        for name, value in zip(outputs, evaluate(*batch), strict=True):
            value = np.asarray(value)
            if value.ndim == model[name].ndim:  # does not depend on any draw: no draw axis
                value = np.broadcast_to(value, (n_draws, *value.shape))
            pieces[name].append(value)
    return {name: np.concatenate(parts, axis=0) for name, parts in pieces.items()}


def _batched_function(model: pm.Model, free: list, outputs: list[str], data: dict):
    """A compiled function from draws of the free variables (leading draw axis) to components;
    ``data`` replaces data containers (shared variables) by other values."""
    batched = {rv: rv.type.clone(shape=(None, *rv.type.shape))(rv.name) for rv in free}
    graphs = vectorize_graph([model[name] for name in outputs], replace=batched)
    if data:
        graphs = graph_replace(graphs, replace=data, strict=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pytensor.function(
            [batched[rv] for rv in free], graphs, mode="FAST_COMPILE", on_unused_input="ignore"
        )
