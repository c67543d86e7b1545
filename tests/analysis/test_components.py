"""Components computed from posterior draws in one batched pass equal PyMC's per-draw values."""

from __future__ import annotations

import warnings

import numpy as np
import pymc as pm
import pytest
import xarray as xr

from mmmcli.analysis.components import component_draws
from mmmcli.model.build import build_model, data_values
from mmmcli.spec.config import load_config
from mmmcli.workflows.prepare import prepare
from tests.helpers import CONFIGS


@pytest.mark.parametrize("config", ["example.yaml", "calibrated.yaml"])
def test_batched_components_equal_per_draw_deterministics(config):
    cfg = load_config(CONFIGS / config)
    data, priors, calib = prepare(cfg)
    model = build_model(cfg, data, priors, calib)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prior = pm.sample_prior_predictive(draws=30, model=model, random_seed=3).prior
    names = [rv.name for rv in model.free_RVs]
    posterior = prior.to_dataset()[names]
    idata = xr.DataTree.from_dict({"posterior": posterior})
    batched = component_draws(cfg, model, data, idata, calib)
    assert model["t"].get_value().shape == (data.n_train,)  # the caller's model is untouched
    full = data_values(cfg, data, calib, data.n)
    pm.set_data(
        {k: v for k, v in full.items() if k in model.named_vars},
        model=model,
        coords={"date": data.dates},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = pm.compute_deterministics(
            posterior, var_names=list(batched), model=model, progressbar=False
        )
    for name, values in batched.items():
        expected = reference[name].stack(sample=("chain", "draw")).transpose("sample", ...)
        np.testing.assert_allclose(values, expected.values, rtol=1e-9, atol=1e-9, err_msg=name)
    assert batched["channel_contribution"].shape[1] == data.n  # holdout periods included
