"""Calibration method ``fixed``: the coefficient solved by weighted least squares, or refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from mmmcli import load_config
from mmmcli.errors import DataError
from mmmcli.workflows.prepare import prepare


def test_fixed_solves_weighted_least_squares(twins):
    cfg = load_config(twins["fixed"])
    data, priors, calib = prepare(cfg)
    (series,) = calib.series
    spend = data.spend[series.index, 0]
    w = 1 / series.sigma
    expected = np.sum(w**2 * series.uplift * spend) / np.sum(w**2 * spend**2)
    assert priors["a_coef"].is_fixed
    assert priors["a_coef"].value == pytest.approx(expected, rel=1e-8)
    assert "least squares" in priors["a_coef"].source


def test_fixed_calibration_on_varying_channel_refused(tmp_path, rising):
    pd.DataFrame({"date": ["2024-03-04"], "uplift": [50.0], "sigma": [5.0]}).to_csv(
        tmp_path / "u.csv", index=False
    )
    raw = yaml.safe_load(rising["varying"].read_text())
    raw["calibration"] = [{"channel": "a", "path": "u.csv", "method": "fixed"}]
    path = tmp_path / "fx.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(DataError, match="time-varying"):
        prepare(load_config(path))


def test_fixed_replaces_the_default_return_prior(tmp_path, twins):
    """A channel on the default CPA prior gets a fixed coefficient instead; one with a CPA
    prior of its own is refused (the experiments and the prior would both set it)."""
    raw = yaml.safe_load(twins["fixed"].read_text())
    del raw["channels"]["a"]["coefficient"]
    path = tmp_path / "default.yaml"
    path.write_text(yaml.safe_dump(raw))
    _, priors, _ = prepare(load_config(path))
    assert priors["a_coef"].is_fixed and "a_cpa" not in priors
    assert priors["a_coef"].key == "channels.a.coefficient"

    raw["channels"]["a"]["cpa"] = {"dist": "Gamma", "alpha": 2, "beta": 1}
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(DataError, match="channels.a: 'fixed' calibration sets the coefficient"):
        prepare(load_config(path))
