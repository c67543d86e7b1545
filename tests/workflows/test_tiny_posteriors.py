"""Every step after sampling, on the smallest posteriors a fit can produce.

The sampler is replaced by a canned posterior of the model's free parameters (prior draws
reshaped to chains x draws), so the shapes that real sampling produces only by chance are
produced on purpose: one chain, a handful of draws, a chain that never moved (what too little
tuning can give), divergences everywhere. What follows the sampler is the real code: the
summary (ESS bulk/tail, r_hat, MCSE, HDIs), the gate and its diagnosis, components, ELPD-LOO,
predictive coverage and CRPS, prior-data conflict, marginal returns and thinned response curves,
every file and plot, and the report. (A handful of real tiny fits: ``tests/cli/test_adversarial``.)
"""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path

import numpy as np
import pymc as pm
import pytest
import xarray as xr
import yaml

from mmmcli.sampling.engines import SampleResult, free_names
from tests.datasets import tiny_project
from tests.helpers import invoke

FILES = (
    "manifest.json",
    "diagnostics.json",
    "posterior_summary.csv",
    "contributions.csv",
    "channels.csv",
    "fit.csv",
    "loo.csv",
    "metrics.json",
    "prior_conflict.csv",
    "response_curves.csv",
    "trace.nc",
    "report.html",
    "plots/fit.png",
    "plots/response_curves.png",
)


def project(folder: Path) -> Path:
    """The adversarial suite's tiny project (30 weeks, two channels, two experiments)."""
    files = tiny_project()
    for name in ("data.csv", "uplift.csv", "lift.csv"):
        (folder / name).write_text(str(files[name]))
    config = folder / "mmm.yaml"
    config.write_text(yaml.safe_dump(files["config"]))
    return config


def canned(chains: int, draws: int, stuck: bool = False, divergent: float = 0.0, seed: int = 0):
    """A stand-in for ``prepare_sampler`` whose ``run`` returns a (chains, draws) posterior of
    the model's free parameters, logging as PyMC's engine does before it samples."""

    class Ready:
        def __init__(self, model, settings, *args, **kwargs):
            self.model, self.settings = model, settings

        def run(self) -> SampleResult:
            logging.getLogger("pymc").info("Initializing NUTS using jitter+adapt_diag...")
            n = chains * draws
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                prior = pm.sample_prior_predictive(
                    draws=n, model=self.model, var_names=free_names(self.model), random_seed=seed
                ).prior
            posterior = {}
            for name, da in prior.data_vars.items():
                values = np.asarray(da)[0]
                if stuck:
                    values = np.repeat(values[:1], n, axis=0)
                dims = ("chain", "draw", *da.dims[2:])
                posterior[name] = (dims, values.reshape(chains, draws, *values.shape[1:]))
            coords = {d: prior.coords[d] for d in prior.coords if d not in ("chain", "draw")}
            diverging = np.random.default_rng(seed).random((chains, draws)) < divergent
            tree = xr.DataTree.from_dict(
                {
                    "posterior": xr.Dataset(posterior, coords=coords),
                    "sample_stats": xr.Dataset({"diverging": (("chain", "draw"), diverging)}),
                }
            )
            settings = {**self.settings.model_dump(), "chains": chains, "draws": draws}
            return SampleResult(tree, "nutpie", 0.0, 0.0, settings={**settings, "cores": 1})

    return Ready


@pytest.mark.parametrize(
    "chains, draws, stuck, divergent, options, code",
    [
        # the smallest unchecked run the settings allow, from a chain that never moved
        (1, 25, True, 0.0, ["--quick", "--chains", "1", "--draws", "25"], 0),
        # the smallest checked run: fails its checks (ESS, r_hat, divergences), diagnosed
        (2, 13, False, 0.5, ["--chains", "2", "--draws", "13"], 3),
    ],
    ids=["one-stuck-chain", "two-short-chains"],
)
def test_every_step_after_sampling_copes(
    tmp_path, monkeypatch, chains, draws, stuck, divergent, options, code
):
    import mmmcli.workflows.prepare as prepare_module

    monkeypatch.setattr(prepare_module, "prepare_sampler", canned(chains, draws, stuck, divergent))
    config = project(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # a library warning reaching the user
        warnings.simplefilter("error", UserWarning)
        result = invoke("fit", config, "--json", *options)
    assert result.exit_code == code, result.stdout + result.stderr
    out = json.loads(result.stdout)
    run = Path(out["run_dir"])
    assert [f for f in FILES if not (run / f).is_file()] == []
    diagnostics = json.loads((run / "diagnostics.json").read_text())
    assert diagnostics["status"] == ("unchecked" if code == 0 else "failed")
    if code == 3:
        assert diagnostics["diagnosis"]["advice"], diagnostics
    loo = out["metrics"]["loo"]
    assert loo["n"] == 30 and np.isfinite(loo["elpd_loo"])
    if stuck:  # PSIS cannot smooth identical draws: every period said to be unreliable
        assert loo["pareto_k_above"] == 30
        assert "ELPD-LOO: 30 of 30 periods have Pareto k above" in " ".join(out["warnings"])


def test_validate_keeps_pymc_quiet(tmp_path, monkeypatch):
    """`validate` samples without PyMC's log lines on stderr (`Initializing NUTS...`: it did
    not silence them, where `fit` did)."""
    import mmmcli.workflows.prepare as prepare_module

    monkeypatch.setattr(prepare_module, "prepare_sampler", canned(2, 13))
    heard: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = heard.append  # type: ignore[method-assign]
    logger = logging.getLogger("pymc")
    level = logger.level
    logger.setLevel(logging.INFO)  # as PyMC leaves it on import (``fit`` raises it for good)
    logger.addHandler(handler)
    try:
        args = ("--quick", "--folds", "1", "--horizon", "4", "--json")
        result = invoke("validate", project(tmp_path), *args)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert heard == []
