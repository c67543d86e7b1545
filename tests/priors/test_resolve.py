"""One resolved prior per variable: support checks, fixed values, defaults, random-walk steps."""

import pytest
import yaml

from mmmcli.errors import PriorError
from mmmcli.priors import resolve_one
from mmmcli.spec.config import Prior, load_config
from mmmcli.workflows.prepare import prepare
from tests.helpers import edit_config, example_config


def test_support_mismatch_refused():
    prior = Prior.model_validate({"dist": "Normal", "mu": 0.5, "sigma": 0.1})
    with pytest.raises(PriorError, match="channels.tv.adstock.alpha"):
        resolve_one("tv_alpha", prior, "channels.tv.adstock.alpha", {}, "", "unit")


def test_fixed_value_and_range():
    rp = resolve_one("tv_alpha", 0.4, "k", {}, "", "unit")
    assert rp.is_fixed and rp.value == 0.4 and rp.row()["dist"] == "fixed"
    with pytest.raises(PriorError):
        resolve_one("tv_alpha", 1.5, "k", {}, "", "unit")


def test_default_used_when_absent():
    rp = resolve_one("x", None, "k", {"dist": "HalfNormal", "sigma": 2.0}, "u", "positive")
    assert rp.source == "default" and rp.params == {"sigma": 2.0}


def test_fixed_number_coefficient(tmp_path):
    path = edit_config(
        example_config(tmp_path),
        lambda raw: raw["channels"]["radio"].update(coefficient=150),
    )
    _, priors, _ = prepare(load_config(path))
    assert priors["radio_coef"].is_fixed and priors["radio_coef"].value == 150


# ---------------------------------------------------------------- time-varying: random walks


def test_walk_priors_and_meaning(rising):
    cfg = load_config(rising["varying"])
    _, priors, _ = prepare(cfg)
    step = priors["a_coef_grw_sigma"]
    assert step.source == "default" and step.dist == "Gamma"
    assert step.params == {"alpha": 2.0, "beta": pytest.approx(40.0)}  # weekly: mean 0.05
    assert "b_coef_grw_sigma" not in priors


def test_intercept_walk_and_daily_step(tmp_path, rising):
    raw = yaml.safe_load(rising["varying"].read_text())
    raw["intercept"] = {"dist": "Normal", "mu": 500, "sigma": 200, "time_varying": {"type": "grw"}}
    path = tmp_path / "iv.yaml"
    path.write_text(yaml.safe_dump(raw))
    _, priors, _ = prepare(load_config(path))
    assert priors["intercept_grw_sigma"].key == "intercept.time_varying.sigma"
