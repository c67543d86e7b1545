"""What calibration buys: experiments separate collinear twins (full sampling, slow)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from rich.console import Console

from mmmcli import fit
from mmmcli.spec.config import validate_config
from tests.datasets import lift_twins, uplift_twins

QUIET = Console(file=open("/dev/null", "w"))  # noqa: SIM115


def _fit(path: Path):
    return fit(path, console=QUIET, progress=False)


def _interval(outcome, channel):
    row = outcome.channels.set_index("channel").loc[channel]
    return float(row.contribution_hdi_low), float(row.contribution_hdi_high)


@pytest.fixture(scope="module")
def uplift_fits(tmp_path_factory):
    d = uplift_twins(tmp_path_factory.mktemp("uplift"))
    return d, {k: _fit(d[k]) for k in ("plain", "calibrated", "fixed")}


@pytest.fixture(scope="module")
def lift_fits(tmp_path_factory):
    d = lift_twins(tmp_path_factory.mktemp("lift"))
    return d, {k: _fit(d[k]) for k in ("plain", "calibrated")}


def _report(name, d, fits):
    print(f"\n{name}: true totals {json.dumps({k: round(v) for k, v in d['truth'].items()})}")
    for key, o in fits.items():
        for ch in ("a", "b"):
            lo, hi = _interval(o, ch)
            print(
                f"  {key:10s} {ch}: 94% HDI [{lo:8.0f}, {hi:8.0f}] width {hi - lo:8.0f} "
                f"divergences {o.diagnostics['divergences']}"
            )


def _check_calibration_pays(d, fits):
    a_plain = _interval(fits["plain"], "a")
    a_cal = _interval(fits["calibrated"], "a")
    b_cal = _interval(fits["calibrated"], "b")
    assert a_cal[0] <= d["truth"]["a"] <= a_cal[1]
    assert b_cal[0] <= d["truth"]["b"] <= b_cal[1]
    assert (a_cal[1] - a_cal[0]) <= 0.5 * (a_plain[1] - a_plain[0])
    assert fits["calibrated"].diagnostics["divergences"] <= fits["plain"].diagnostics["divergences"]


@pytest.mark.slow
def test_uplift_series_separates_collinear_twins(uplift_fits):
    d, fits = uplift_fits
    _report("per-period uplift", d, fits)
    _check_calibration_pays(d, fits)
    calib = pd.read_csv(fits["calibrated"].run_dir / "calibration.csv")
    assert list(calib.columns) == [
        "source",
        "channel",
        "date_or_window",
        "observed",
        "sigma",
        "model_mean",
        "model_hdi_low",
        "model_hdi_high",
        "z",
    ]
    assert len(calib) == 15 and (calib["z"].abs() < 4).all()
    assert fits["calibrated"].channels.set_index("channel")["calibrated"].to_dict() == {
        "a": "likelihood",
        "b": "none",
    }


@pytest.mark.slow
def test_fixed_method_holds_coefficient(uplift_fits):
    d, fits = uplift_fits
    fixed = fits["fixed"]
    lo, hi = _interval(fixed, "a")
    assert lo == pytest.approx(hi)  # a constant: no uncertainty
    assert abs(lo - d["truth"]["a"]) / d["truth"]["a"] < 0.03
    b_lo, b_hi = _interval(fixed, "b")
    assert b_lo <= d["truth"]["b"] <= b_hi
    priors = pd.read_csv(fixed.run_dir / "priors.csv").set_index("parameter")
    assert priors.loc["a_coef", "dist"] == "fixed"
    assert fixed.channels.set_index("channel").loc["a", "calibrated"] == "fixed"
    summary = pd.read_csv(fixed.run_dir / "posterior_summary.csv")
    assert "a_coef" not in set(summary["parameter"])  # not sampled, not gated
    resolved = validate_config(yaml.safe_load((fixed.run_dir / "config.resolved.yaml").read_text()))
    assert resolved.channels["a"].coefficient == pytest.approx(priors.loc["a_coef", "median"])


@pytest.mark.slow
def test_lift_tests_calibrate_adstocked_saturating_channel(lift_fits):
    d, fits = lift_fits
    assert d["correlation"] > 0.95
    _report("lift tests", d, fits)
    _check_calibration_pays(d, fits)
    calib = pd.read_csv(fits["calibrated"].run_dir / "calibration.csv")
    assert len(calib) == 6 and set(calib["channel"]) == {"a"}
    assert fits["calibrated"].channels.set_index("channel").loc["a", "calibrated"] == "lift_test"
    resolved = validate_config(
        yaml.safe_load((fits["calibrated"].run_dir / "config.resolved.yaml").read_text())
    )
    assert len(resolved.calibration) == 1 and resolved.calibration[0].path.is_absolute()
