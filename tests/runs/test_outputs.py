"""The outputs contract: a fit writes every file of its run folder, with its columns.

Most tests read the session's `mmm fit configs/example.yaml --quick` (the ``quick_run`` fixture,
so they are in the ``sampling`` tier).
"""

import json

import arviz as az
import pandas as pd
import pytest
import yaml

from mmmcli.spec.config import validate_config
from tests.helpers import CALIBRATED, SAMPLE, invoke

CHANNELS = ["tv", "radio", "social", "search"]


def test_run_folder_has_every_file(quick_run):
    _, run = quick_run
    for name in [
        "manifest.json",
        "config.resolved.yaml",
        "priors.csv",
        "posterior_summary.csv",
        "contributions.csv",
        "channels.csv",
        "metrics.json",
        "diagnostics.json",
        "trace.nc",
        "plots/fit.png",
        "plots/contributions.png",
        "plots/channel_efficiency.png",
        "response.nc",
        "response_curves.csv",
        "fit.csv",
        "loo.csv",
        "plots/response_curves.png",
    ]:
        path = run / name
        assert path.is_file() and path.stat().st_size > 0, name


def test_contributions_long_form(quick_run):
    _, run = quick_run
    df = pd.read_csv(run / "contributions.csv")
    assert list(df.columns) == ["date", "component", "mean", "hdi_low", "hdi_high"]
    assert set(df["component"]) == {*CHANNELS, "price", "intercept", "trend", "seasonality"}
    per = df.groupby("component").size()
    assert (per == 148).all()  # training periods only (156 weeks, holdout 8)
    assert (df["hdi_low"] <= df["mean"] + 1e-9).all() and (
        df["mean"] <= df["hdi_high"] + 1e-9
    ).all()


def test_channels_table(quick_run):
    _, run = quick_run
    df = pd.read_csv(run / "channels.csv")
    assert list(df.columns) == [
        "channel",
        "spend",
        "contribution_mean",
        "contribution_hdi_low",
        "contribution_hdi_high",
        "share_mean",
        "cpa_mean",
        "cpa_hdi_low",
        "cpa_hdi_high",
        "calibrated",
        "mcpa_mean",
        "mcpa_hdi_low",
        "mcpa_hdi_high",
    ]
    assert list(df["channel"]) == CHANNELS
    assert df["share_mean"].sum() == pytest.approx(1.0, rel=1e-6)
    sample = pd.read_csv(SAMPLE / "weekly.csv").iloc[:148]
    for row in df.itertuples():
        assert row.spend == pytest.approx(sample[f"{row.channel}_spend"].sum(), rel=1e-6)
        assert row.cpa_hdi_low <= row.cpa_hdi_high


def test_contributions_sum_to_channel_totals(quick_run):
    _, run = quick_run
    contrib = pd.read_csv(run / "contributions.csv")
    channels = pd.read_csv(run / "channels.csv").set_index("channel")
    sums = contrib.groupby("component")["mean"].sum()
    for c in CHANNELS:
        assert sums[c] == pytest.approx(channels.loc[c, "contribution_mean"], rel=1e-6)


def test_metrics_and_diagnostics(quick_run):
    _, run = quick_run
    metrics = json.loads((run / "metrics.json").read_text())
    for part in ("in_sample", "holdout"):
        assert {"r2", "mape", "smape", "nrmse"} <= set(metrics[part])
    assert metrics["in_sample"]["r2"] > 0.8
    diag = json.loads((run / "diagnostics.json").read_text())
    assert {
        "max_r_hat",
        "min_ess_bulk",
        "min_ess_tail",
        "divergences",
        "thresholds",
        "passed",
    } <= set(diag)
    assert diag["gated"] is False and diag["status"] == "unchecked"


def test_summary_priors_and_trace(quick_run):
    _, run = quick_run
    summary = pd.read_csv(run / "posterior_summary.csv")
    assert {
        "parameter",
        "mean",
        "sd",
        "hdi94_lb",
        "hdi94_ub",
        "mcse_mean",
        "ess_bulk",
        "ess_tail",
        "r_hat",
    } <= set(summary.columns)
    assert "tv_coef" in set(summary["parameter"])
    priors = pd.read_csv(run / "priors.csv").set_index("parameter")
    tv = priors.loc["tv_coef"]
    assert tv["source"] == "bounds" and tv["dist"] == "Gamma"
    assert abs(tv["achieved_mass"] - 0.95) < 0.01
    trace = az.from_netcdf(run / "trace.nc")
    assert trace.posterior.sizes["chain"] == 2 and trace.posterior.sizes["draw"] == 200
    assert "tv_coef" in trace.posterior


def test_resolved_config_reloads_and_manifest(quick_run):
    _, run = quick_run
    raw = yaml.safe_load((run / "config.resolved.yaml").read_text())
    cfg = validate_config(raw)
    assert cfg.channels["tv"].coefficient.dist == "Gamma"
    assert cfg.channels["tv"].spend_scale > 0
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["seed"] == 42 and manifest["engine"] == "nutpie"
    assert len(manifest["config"]["sha256"]) == 64 and len(manifest["data"]["sha256"]) == 64
    assert {"load", "compile", "sample", "write"} <= set(manifest["timings_seconds"])
    assert manifest["status"] == "unchecked" and manifest["exit_code"] == 0


@pytest.mark.sampling
def test_calibrated_example_config_runs(tmp_path):
    """The shipped calibrated config: calibration.csv and the `calibrated` column."""
    result = invoke("fit", CALIBRATED, "--quick", "--out", tmp_path)
    assert result.exit_code == 0, result.stderr
    (run,) = [p for p in (tmp_path / "calibrated").iterdir() if not p.name.startswith(".")]
    calib = pd.read_csv(run / "calibration.csv")
    assert len(calib) == 15 + 3
    assert set(calib["source"]) == {"uplift_tv.csv", "lift_tests.csv"}
    channels = pd.read_csv(run / "channels.csv").set_index("channel")
    assert channels.loc["tv", "calibrated"] == "likelihood"
    assert channels.loc["search", "calibrated"] == "lift_test"
    assert channels.loc["radio", "calibrated"] == "none"


def test_response_curves_and_marginal_cpa(quick_run):
    """41 points per channel from 0 to 2x; at 1x the response is the channel's contribution plus
    its carry-over after the last fitted period; marginal CPA at current spend is above the
    average CPA (the curves are concave)."""
    _, run = quick_run
    curves = pd.read_csv(run / "response_curves.csv")
    channels = pd.read_csv(run / "channels.csv").set_index("channel")
    assert list(curves.columns) == [
        "channel",
        "multiplier",
        "spend",
        "response_mean",
        "response_hdi_low",
        "response_hdi_high",
    ]
    for name, c in curves.groupby("channel"):
        assert len(c) == 41 and c["multiplier"].min() == 0 and c["multiplier"].max() == 2
        at_one = c[c["multiplier"] == 1].iloc[0]
        assert at_one["spend"] == pytest.approx(channels.loc[name, "spend"])
        contribution = channels.loc[name, "contribution_mean"]
        assert contribution <= at_one["response_mean"] <= contribution * 1.05
        assert channels.loc[name, "mcpa_mean"] > channels.loc[name, "cpa_mean"]
        assert channels.loc[name, "mcpa_hdi_low"] <= channels.loc[name, "mcpa_hdi_high"]


def test_posterior_predictive_includes_the_noise(quick_run):
    """fit.csv's predictive interval (mean plus observation noise) covers about 94% of the
    observed values in sample; the mean's own HDI, far fewer. Leaving the noise out of the
    predictive fails this test."""
    _, run = quick_run
    fit = pd.read_csv(run / "fit.csv")
    metrics = json.loads((run / "metrics.json").read_text())
    pred = metrics["in_sample"]["predictive"]
    assert 0.85 <= pred["coverage_94"] <= 0.99
    assert 0.35 <= pred["coverage_50"] <= 0.75
    train = fit[~fit["holdout"]]
    inside = (train["actual"] >= train["predictive_low"]) & (
        train["actual"] <= train["predictive_high"]
    )
    assert inside.mean() == pytest.approx(pred["coverage_94"])
    assert (
        (train["actual"] >= train["hdi_low"]) & (train["actual"] <= train["hdi_high"])
    ).mean() < 0.8
    assert (
        train["predictive_high"] - train["predictive_low"] > train["hdi_high"] - train["hdi_low"]
    ).all()
    assert pred["crps"] == pytest.approx(train["crps"].mean())
    assert set(metrics["holdout"]["predictive"]) == {"coverage_50", "coverage_94", "crps"}
    loo = metrics["loo"]
    assert loo["n"] == 148 and loo["elpd_loo"] < 0 and loo["se"] > 0
    pointwise = pd.read_csv(run / "loo.csv")
    assert loo["elpd_loo"] == pytest.approx(pointwise["elpd_loo"].sum())
    assert loo["pareto_k_above"] == int((pointwise["pareto_k"] > loo["pareto_k_threshold"]).sum())
