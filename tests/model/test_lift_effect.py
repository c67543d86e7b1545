"""The model's lift-test effect: the counterfactual difference of adstock and saturation."""

from __future__ import annotations

import numpy as np

from mmmcli import load_config
from mmmcli.model.build import build_model
from mmmcli.spec import names
from mmmcli.workflows.prepare import prepare
from tests.datasets import lift_twins
from tests.helpers import edit_config


def _coefficient_priors(raw: dict) -> None:
    for ch in raw["channels"].values():
        ch["coefficient"] = {"dist": "HalfNormal", "sigma": 1000.0}


def test_lift_effect_matches_independent_counterfactual(tmp_path):
    """At the true parameters the model's lift equals numpy's adstock+saturation difference."""
    d = lift_twins(tmp_path)
    cfg = load_config(edit_config(d["calibrated"], _coefficient_priors))
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


def test_derived_coefficient_gives_the_cpa_drawn(tmp_path):
    """With a CPA prior (here the default) the coefficient is derived so that, at any point,
    the channel's spend over its contribution in the fitted periods is the CPA's value."""
    d = lift_twins(tmp_path)
    cfg = load_config(d["calibrated"])
    assert cfg.target.kind == "conversions"
    data, priors, calib = prepare(cfg)
    model = build_model(cfg, data, priors, calib)
    assert names.cpa("a") in priors and names.coefficient("a") not in priors
    rng = np.random.default_rng(3)
    point = {k: v + rng.normal(0, 0.3, np.shape(v)) for k, v in model.initial_point().items()}
    outputs = [model[names.CHANNEL_CONTRIBUTION], model[names.cpa("a")], model[names.cpa("b")]]
    contrib, cpa_a, cpa_b = model.compile_fn(
        model.replace_rvs_by_values(outputs),
        inputs=model.value_vars,
        on_unused_input="ignore",
        mode="FAST_COMPILE",
    )(point)
    n = data.n_train
    spend = data.spend[:n].sum(axis=0)
    np.testing.assert_allclose(spend / contrib.sum(axis=0), [cpa_a, cpa_b], rtol=1e-9)
