"""`mmm prior`: the prior predictive check's files, JSON result and warning."""

from __future__ import annotations

import json

import pandas as pd

from tests.helpers import EXAMPLE, example_config, invoke


def test_prior_command(tmp_path):
    result = invoke("prior", EXAMPLE, "--out", tmp_path, "--draws", "200", "--json")
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    folder = tmp_path / "example"
    (run,) = list(folder.iterdir())
    assert run.name.startswith("prior-") and str(run) == payload["run_dir"]
    summary = pd.read_csv(run / "prior_predictive.csv")
    assert list(summary.columns) == ["quantity", "channel", "low", "median", "high"]
    assert {"target per period", "contribution", "share", "cpa"} <= set(summary["quantity"])
    target = pd.read_csv(run / "prior_predictive_target.csv")
    assert len(target) == 148 and {"observed", "low", "high", "outside"} <= set(target.columns)
    assert (run / "plots" / "prior_predictive.png").is_file()
    assert payload["flagged"] is False  # the default priors are wide enough to cover the data


def test_prior_flags_priors_that_miss_the_data(tmp_path):
    path = example_config(tmp_path, intercept={"dist": "Normal", "mu": 10000, "sigma": 10})
    result = invoke("prior", path, "--draws", "100")
    assert result.exit_code == 0, result.stderr
    assert "outside the prior predictive 94% range" in result.stderr
