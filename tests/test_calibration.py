"""Calibration: validation of experiment files, the lift counterfactual, and what it buys."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from rich.console import Console

from mmmcli import fit, load_config
from mmmcli.errors import ConfigError, DataError
from mmmcli.model.build import build_model
from mmmcli.spec.config import validate_config
from mmmcli.workflows.prepare import prepare
from tests.calibration_data import lift_twins, uplift_twins
from tests.conftest import run_mmm

QUIET = Console(file=open("/dev/null", "w"))  # noqa: SIM115


# ---------------------------------------------------------------- validation (fast)


@pytest.fixture
def twins(tmp_path) -> dict:
    return uplift_twins(tmp_path)


def _with_calibration(cfg_path: Path, calibration: list) -> Path:
    raw = yaml.safe_load(cfg_path.read_text())
    raw["calibration"] = calibration
    out = cfg_path.with_name("edited.yaml")
    out.write_text(yaml.safe_dump(raw))
    return out


def _load(cfg_path: Path):
    cfg = load_config(cfg_path)
    return prepare(cfg)


def _write(folder: Path, name: str, text: str) -> str:
    (folder / name).write_text(text)
    return name


def test_potential_is_refused_with_reason(twins):
    path = _with_calibration(
        twins["plain"], [{"channel": "a", "path": "uplift_a.csv", "method": "potential"}]
    )
    with pytest.raises(ConfigError, match=r"calibration\.0\.method.*potential.*gradient"):
        load_config(path)


def test_unknown_channel_in_config(twins):
    path = _with_calibration(twins["plain"], [{"channel": "tv", "path": "uplift_a.csv"}])
    with pytest.raises(ConfigError, match=r"calibration\.0\.channel: unknown channel 'tv'"):
        load_config(path)


@pytest.mark.parametrize(
    "text, pattern",
    [
        ("date,uplift,sigma\n2024-03-04,10,0\n", r"line 2: column 'sigma' must be > 0"),
        ("date,uplift\n2030-01-07,10\n", r"line 2: date 2030-01-07 is outside the fitted periods"),
        ("date,uplift\n2024-03-05,10\n", r"line 2: date 2024-03-05 is not one of the data's"),
        ("date,lift\n2024-03-04,10\n", r"column 'uplift' not found \(did you mean 'lift'\?\)"),
        ("date,uplift\n2024-03-04,10\n2024-03-04,11\n", r"line 3: date 2024-03-04 appears twice"),
        ("date,uplift\n2024-03-04,abc\n", r"line 2: column 'uplift' is not a number: 'abc'"),
    ],
    ids=["sigma", "outside", "not-a-period", "column", "duplicate", "non-numeric"],
)
def test_uplift_file_errors(twins, tmp_path, text, pattern):
    name = _write(tmp_path, "bad.csv", text)
    path = _with_calibration(twins["plain"], [{"channel": "a", "path": name}])
    with pytest.raises(DataError, match=pattern) as err:
        _load(path)
    assert "bad.csv" in str(err.value)


@pytest.mark.parametrize(
    "text, pattern",
    [
        (
            "channel,start,end,spend_delta,uplift,sigma\ntv,2024-03-04,2024-03-31,100,5,1\n",
            r"line 2: unknown channel 'tv'",
        ),
        (
            "channel,start,end,spend_delta,uplift,sigma\na,2023-03-04,2023-03-31,100,5,1\n",
            r"line 2: window 2023-03-04..2023-03-31 is outside the fitted periods",
        ),
        (
            "channel,start,end,spend_delta,uplift,sigma\na,2024-03-04,2024-03-31,100,5,-1\n",
            r"line 2: column 'sigma' must be > 0",
        ),
        (
            "channel,start,end,uplift,sigma\na,2024-03-04,2024-03-31,5,1\n",
            r"lift tests need columns",
        ),
        (
            "channel,start,end,spend_delta,uplift,sigma\na,2024-03-31,2024-03-04,100,5,1\n",
            r"line 2: end 2024-03-04 is before start",
        ),
        (
            "channel,start,end,spend_delta,uplift,sigma\na,2024-03-04,2024-03-10,1e9,5,1\n",
            r"line 2: spend_delta 1e\+09 exceeds the a spend",
        ),
        (
            "channel,liftStartDate,liftEndDate,liftAbs,spend\na,2024-03-04,2024-03-31,50,4000\n",
            r"Robyn lift tests need a 'se' or 'sigma' column",
        ),
    ],
    ids=["channel", "outside", "sigma", "columns", "order", "delta", "robyn-no-se"],
)
def test_lift_file_errors(twins, tmp_path, text, pattern):
    name = _write(tmp_path, "bad.csv", text)
    path = _with_calibration(twins["plain"], [{"path": name}])
    with pytest.raises(DataError, match=pattern) as err:
        _load(path)
    assert "bad.csv" in str(err.value)


def test_conflicting_methods_refused(twins, tmp_path):
    lift = _write(
        tmp_path,
        "lift.csv",
        "channel,start,end,spend_delta,uplift,sigma\na,2024-03-04,2024-03-31,100,5,1\n",
    )
    path = _with_calibration(
        twins["plain"],
        [
            {"channel": "a", "path": "uplift_a.csv", "method": "fixed"},
            {"path": lift, "method": "likelihood"},
        ],
    )
    with pytest.raises(DataError, match=r"channel 'a' is calibrated both as 'fixed' and"):
        _load(path)


def test_robyn_confidence_gives_sigma_and_warning(twins, tmp_path):
    name = _write(
        tmp_path,
        "robyn.csv",
        "channel,liftStartDate,liftEndDate,liftAbs,spend,confidence\n"
        "a,2024-03-04,2024-03-31,196,4000,0.95\n",
    )
    path = _with_calibration(twins["plain"], [{"path": name}])
    _, _, calib = _load(path)
    (test,) = calib.tests
    assert test.kind == "robyn" and test.sigma == pytest.approx(100.0, rel=1e-3)
    spend = pd.read_csv(tmp_path / "data.csv").set_index("date").loc["2024-03-04":"2024-03-25", "a"]
    assert test.delta.sum() == pytest.approx(spend.sum())  # the window's whole spend vs zero
    assert any("confidence" in w for w in calib.warnings)


def test_cli_bad_calibration_exits_2_before_sampling(twins, tmp_path):
    name = _write(tmp_path, "bad.csv", "date,uplift,sigma\n2024-03-04,10,-2\n")
    path = _with_calibration(twins["plain"], [{"channel": "a", "path": name}])
    proc = run_mmm("fit", str(path), "--quick")
    assert proc.returncode == 2, proc.stderr
    assert "bad.csv: line 2" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "runs").exists()


# ---------------------------------------------------------------- model pieces (fast)


def test_spend_delta_is_shared_out_over_the_window(twins, tmp_path):
    """A cut is shared evenly by day; extra spend in proportion to the observed spend."""
    # 10 days: Mon 2024-03-04 .. Wed 2024-03-13 -> 7 days in one week, 3 in the next
    name = _write(
        tmp_path,
        "lift.csv",
        "channel,start,end,spend_delta,uplift,sigma\n"
        "a,2024-03-04,2024-03-13,-100,-5,1\n"
        "a,2024-03-04,2024-03-13,100,5,1\n",
    )
    path = _with_calibration(twins["plain"], [{"path": name}])
    data, _, calib = prepare(load_config(path))
    cut, extra = calib.tests
    nz = np.flatnonzero(cut.delta)
    assert cut.delta[nz].tolist() == pytest.approx([-70.0, -30.0])
    spend = data.spend[nz, 0] * np.array([1.0, 3 / 7])
    assert extra.delta[nz] == pytest.approx(100 * spend / spend.sum())
    assert cut.horizon.sum() == 2  # no adstock: the window only


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


# ---------------------------------------------------------------- what calibration buys (slow)


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
