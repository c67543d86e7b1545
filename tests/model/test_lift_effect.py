"""The model's lift-test effect: the counterfactual difference of adstock and saturation."""

from __future__ import annotations

import numpy as np

from mmmcli import load_config
from mmmcli.model.build import build_model
from mmmcli.workflows.prepare import prepare
from tests.datasets import lift_twins


def test_lift_effect_matches_independent_counterfactual(tmp_path):
    """At the true parameters the model's lift equals numpy's adstock+saturation difference."""
    d = lift_twins(tmp_path)
    cfg = load_config(d["calibrated"])
    data, priors, calib = prepare(cfg)
    model = build_model(cfg, data, priors, calib)
    point = model.initial_point()
    truth = {
        "a_alpha": 0.5,
        "a_lam": 1.0,
        "a_coef": 300.0,
        "b_alpha": 0.5,
        "b_lam": 1.0,
        "b_coef": 120.0,
    }
    for rv in model.free_RVs:
        if rv.name in truth:
            value_var = model.rvs_to_values[rv]
            transform = model.rvs_to_transforms[rv]
            value = np.asarray(truth[rv.name])
            point[value_var.name] = transform.forward(value).eval() if transform else value
    fn = model.compile_fn(
        model.replace_rvs_by_values([model["lift_effect"]])[0],
        inputs=model.value_vars,
        on_unused_input="ignore",
        mode="FAST_COMPILE",
    )
    effect = fn(point)
    np.testing.assert_allclose(effect, d["lifts"], rtol=1e-6)
