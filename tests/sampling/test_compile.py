"""The nutpie compile cache: same structure reuses machine code, the code computes the model."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import yaml

from mmmcli.model.build import build_model
from mmmcli.sampling.compile import compile_for_nutpie
from mmmcli.spec.config import load_config
from mmmcli.workflows.prepare import prepare
from tests.helpers import CONFIGS, SAMPLE, example_config


def compiled(config):
    cfg = load_config(config)
    data, priors, calib = prepare(cfg)
    model = build_model(cfg, data, priors, calib)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compile_for_nutpie(model, [rv.name for rv in model.free_RVs])


@pytest.mark.parametrize("config", ["example.yaml", "calibrated.yaml"])
def test_callback_equals_pytensor_logp_and_gradient(config):
    result = compiled(CONFIGS / config)
    model = result.model
    rng = np.random.default_rng(0)
    start = model.initial_point_func(1)
    for x in (start, start + 0.1 * rng.standard_normal(start.shape)):
        status, logp, grad = result.evaluate(x)
        ref_logp, ref_grad = model.logp_func(x)
        assert status == 0
        assert logp == pytest.approx(float(ref_logp), rel=1e-12)
        np.testing.assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-12)


def test_second_compile_loads_cached_code(tmp_path):
    first = compiled(example_config(tmp_path))
    again = compiled(example_config(tmp_path))
    assert first.cacheable and again.cached
    assert again.keys == first.keys


def test_new_rows_and_prior_numbers_reuse_the_code_prior_families_do_not(tmp_path):
    base = compiled(example_config(tmp_path))

    shorter = tmp_path / "shorter"
    shorter.mkdir()
    frame = pd.read_csv(SAMPLE / "weekly.csv")
    frame.iloc[:-10].to_csv(shorter / "weekly.csv", index=False)
    path = example_config(shorter)
    cfg = yaml.safe_load(path.read_text())
    cfg["data"]["path"] = str(shorter / "weekly.csv")
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    refit = compiled(path)
    assert refit.keys == base.keys  # a cron refit with other rows: same machine code
    model = refit.model
    x = model.initial_point_func(2)
    status, logp, grad = refit.evaluate(x)
    ref_logp, ref_grad = model.logp_func(x)  # computed on the shorter data
    assert status == 0 and logp == pytest.approx(float(ref_logp), rel=1e-12)

    edited = tmp_path / "edited"
    edited.mkdir()
    path = example_config(edited)
    cfg = yaml.safe_load(path.read_text())
    cfg["channels"]["radio"]["cpa"] = {"dist": "LogNormal", "mu": 3.0, "sigma": 0.5}
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    other_numbers = compiled(path)
    assert other_numbers.keys == base.keys  # prior numbers are data, not code
    model = other_numbers.model
    status, logp, _ = other_numbers.evaluate(x)
    assert status == 0 and logp == pytest.approx(float(model.logp_func(x)[0]), rel=1e-12)
    assert logp != pytest.approx(float(base.model.logp_func(x)[0]), rel=1e-6)

    cfg["channels"]["radio"]["cpa"] = {"dist": "Gamma", "alpha": 2.0, "beta": 0.1}
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    assert compiled(path).keys != base.keys  # another family is another graph


def test_flat_initial_point_is_evaluated_as_pymc_does():
    """The start check evaluates PyMC's initial point through the compiled callback: the same
    log-density as PyMC's own function (so no second compile is needed to check it)."""
    cfg = load_config(CONFIGS / "calibrated.yaml")
    data, priors, calib = prepare(cfg)
    model = build_model(cfg, data, priors, calib)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = compile_for_nutpie(model, [rv.name for rv in model.free_RVs])
    point = model.initial_point()
    status, logp, grad = result.evaluate(result.flat(point))
    assert status == 0 and np.isfinite(grad).all()
    terms = model.point_logps(point, round_vals=12, mode="FAST_COMPILE")  # check_initial_point's
    assert logp == pytest.approx(sum(float(v) for v in terms.values()), rel=1e-9)


@pytest.mark.sampling
@pytest.mark.parametrize("engine", ["nutpie", "pymc"])
def test_a_start_that_cannot_be_evaluated_is_refused_naming_the_variable(engine):
    """A log-density that is not finite at the initial point: ModelError naming the term, before
    any draw (nutpie checks with its compiled code, PyMC's engine with PyMC's evaluation)."""
    import pymc as pm

    from mmmcli.errors import ModelError
    from mmmcli.sampling.engines import run_sampler
    from mmmcli.spec.config import Sampler

    with pm.Model() as model:
        scale = pm.HalfNormal("scale", 1.0)
        pm.HalfNormal("spend_seen", sigma=scale, observed=np.array([1.0, -2.0]))
    settings = Sampler(engine=engine, chains=1, draws=10, tune=10)
    with pytest.raises(ModelError, match="spend_seen"):
        run_sampler(model, settings, progress=False)


@pytest.mark.sampling
def test_a_fit_whose_start_is_refused_writes_nothing(tmp_path, monkeypatch):
    """The start check runs before the run lock is taken: exit 2 naming the config, no runs
    folder, no lock file (the compile before it is cached by the tests above)."""
    import json

    import mmmcli.sampling.engines as engines
    from mmmcli.errors import ModelError
    from tests.helpers import invoke

    def refuse(model, compiled):
        raise ModelError("the model cannot be evaluated at its initial point: log-density of x")

    monkeypatch.setattr(engines, "_check_start", refuse)
    config = example_config(tmp_path)
    result = invoke("fit", config, "--json", "--quiet")
    assert result.exit_code == 2, result.stdout
    error = json.loads(result.stdout)["error"]
    assert error.startswith(f"{config}: the model cannot be evaluated"), error
    assert not (tmp_path / "runs").exists()
