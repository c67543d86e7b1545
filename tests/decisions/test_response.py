"""The response engine against an independent computation, and its compiled gradients."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from mmmcli.decisions import curves as curves_module
from mmmcli.decisions.curves import marginal_returns, response_curves
from mmmcli.decisions.response import ResponseModel, fitted_window, harrell_davis, horizon
from tests.decisions.truth import DATA, TRUTH, true_fitted_response, true_model, true_response

CHANNELS = ["tv", "radio", "social", "search"]


def test_fitted_window_response_matches_an_independent_simulation():
    model = true_model(CHANNELS)
    scenario, totals = fitted_window(model)
    for m in (0.0, 0.5, 1.0, 1.7):
        got = scenario.response(m * totals)[0]
        want = [true_fitted_response(c, m, len(DATA)) for c in CHANNELS]
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
    # at 1x the response is the contribution plus the carry-over after the last period
    at_one = scenario.response(totals)[0]
    for j, c in enumerate(CHANNELS):
        assert at_one[j] >= TRUTH["contributions"][c]["total"] - 1e-6


def test_plan_response_counts_carry_out_and_not_carry_in():
    model = true_model(CHANNELS)
    pattern = np.full((13, 4), 1 / 13)
    budgets = np.array([200_000.0, 60_000, 80_000, 70_000])
    got = horizon(model, pattern).response(budgets)[0].sum()
    assert got == pytest.approx(true_response(CHANNELS, budgets, 13), rel=1e-9)


def test_carry_in_lowers_the_response_of_a_saturated_channel():
    """The same plan after a heavy-spend stretch buys less: the channel is already saturated."""
    quiet = DATA[["tv_spend"]].to_numpy().copy()
    quiet[-8:] = 0.0
    heavy = quiet.copy()
    heavy[-8:] = 60_000.0
    plan = np.array([150_000.0])
    pattern = np.full((6, 1), 1 / 6)
    after_quiet = horizon(true_model(["tv"], quiet), pattern).response(plan)[0, 0]
    after_heavy = horizon(true_model(["tv"], heavy), pattern).response(plan)[0, 0]
    assert after_heavy < 0.9 * after_quiet
    assert after_heavy == pytest.approx(true_response(["tv"], plan, 6, heavy), rel=1e-9)


def _many_draws(draws: int = 300, seed: int = 1) -> ResponseModel:
    """Posterior-like draws around the truth, with a Hill, a Michaelis-Menten and a linear
    channel beside the logistic ones (every curve the engine groups)."""
    rng = np.random.default_rng(seed)
    base = true_model(CHANNELS)
    noise = rng.lognormal(0, 0.2, size=(draws, 4))
    params = {
        "lam": np.tile(base.params["lam"], (draws, 1)) * noise,
        "k": np.full((draws, 4), np.nan),
        "slope": np.full((draws, 4), np.nan),
    }
    params["k"][:, 1] = 0.8 * noise[:, 1]
    params["slope"][:, 1] = 2.5
    params["k"][:, 2] = 1.2 * noise[:, 2]
    return replace(
        base,
        saturation=["logistic", "hill", "michaelis_menten", "none"],
        weights=np.repeat(base.weights, draws, axis=0),
        params=params,
        coef=base.coef * noise,
    )


@pytest.mark.parametrize("quantile", [None, 0.1])
def test_objective_gradient_matches_finite_differences(quantile):
    model = _many_draws()
    model = replace(model, coef=model.coef * np.array([1, 1, 1, 1e-4]))  # linear: per unit spend
    scenario = horizon(model, np.full((13, 4), 1 / 13))
    b = np.array([150_000.0, 50_000, 70_000, 60_000])
    value, grad = scenario.objective(b, quantile)
    for j in range(4):
        h = np.zeros(4)
        h[j] = 10.0
        numeric = scenario.objective(b + h, quantile)[0] - scenario.objective(b - h, quantile)[0]
        assert grad[j] == pytest.approx(numeric / 20, rel=1e-3, abs=1e-9)
    totals = scenario.response(b).sum(axis=1)
    if quantile is None:
        assert value == pytest.approx(totals.mean(), rel=1e-9)
    else:
        assert value == pytest.approx(np.quantile(totals, quantile), rel=0.02)


def test_harrell_davis_weights():
    w = harrell_davis(1000, 0.1)
    assert w.sum() == pytest.approx(1.0)
    x = np.sort(np.random.default_rng(0).normal(size=1000))
    assert w @ x == pytest.approx(np.quantile(x, 0.1), abs=0.05)


def test_time_varying_coefficient_uses_its_path_in_curves_and_latest_level_in_plans():
    model = true_model(["tv"])
    n = model.n_fit
    path = np.linspace(100.0, 300.0, n)[None, :, None]  # rising: latest level 300
    varying = replace(model, coef=np.array([[300.0]]), coef_path=path)
    scenario, totals = fitted_window(varying)
    flat, _ = fitted_window(replace(model, coef=np.array([[300.0]])))
    assert scenario.response(totals)[0, 0] < flat.response(totals)[0, 0]
    pattern = np.full((4, 1), 0.25)
    plan = np.array([80_000.0])
    assert horizon(varying, pattern).response(plan)[0, 0] == pytest.approx(
        horizon(replace(model, coef=np.array([[300.0]])), pattern).response(plan)[0, 0]
    )


def test_curves_and_marginal_returns_tables():
    model = _many_draws(200)
    curves = response_curves(model, 0.94)
    assert list(curves.columns) == [
        "channel",
        "multiplier",
        "spend",
        "response_mean",
        "response_hdi_low",
        "response_hdi_high",
    ]
    assert curves.groupby("channel").size().min() >= 21
    for _, c in curves.groupby("channel"):
        assert (np.diff(c["response_mean"]) > 0).all()  # more spend, more response
        assert c["response_mean"].iloc[0] == 0
        assert (c["response_hdi_low"] <= c["response_mean"] + 1e-9).all()
    marginal = marginal_returns(model, 0.94)
    assert list(marginal.columns) == ["channel", "mcpa_mean", "mcpa_hdi_low", "mcpa_hdi_high"]
    assert (marginal["mcpa_hdi_low"] <= marginal["mcpa_hdi_high"]).all()


def test_curves_from_a_thinned_posterior_match_every_draw(monkeypatch):
    """4,000 draws: the curves come from 1,000 of them, spread over all the draws (the last
    draws too, i.e. every chain); their means stay within 2% of the HDI's width of the curves of
    every draw, their HDIs within 10% (Monte Carlo error of 1,000 draws); a posterior of 1,000
    draws or fewer is used whole."""
    model = _many_draws(4000, seed=3)
    thinned = model.thin(1000)
    assert thinned.draws == 1000 and model.thin(4000) is model
    assert thinned.coef[0].tolist() == model.coef[0].tolist()
    assert thinned.coef[-1].tolist() == model.coef[-1].tolist()
    fast = response_curves(model, 0.94)
    monkeypatch.setattr(curves_module, "CURVE_DRAWS", 10_000)
    full = response_curves(model, 0.94)
    for channel, every in full.groupby("channel"):
        some = fast[fast["channel"] == channel]
        width = (every["response_hdi_high"] - every["response_hdi_low"]).max()
        gap = {c: np.abs(some[c].to_numpy() - every[c].to_numpy()).max() for c in every.columns[3:]}
        assert gap["response_mean"] < 0.02 * width  # Monte Carlo error: about 1% here
        assert gap["response_hdi_low"] < 0.1 * width and gap["response_hdi_high"] < 0.1 * width


def test_marginal_cpa_is_above_average_cpa_on_a_concave_curve():
    model = true_model(CHANNELS)
    scenario, totals = fitted_window(model)
    average = totals / scenario.response(totals)[0]
    marginal = marginal_returns(model, 0.94).set_index("channel")["mcpa_mean"]
    for j, c in enumerate(CHANNELS):
        assert marginal[c] > average[j]


def test_response_model_round_trips_through_netcdf(tmp_path):
    model = _many_draws(50)
    model.save(tmp_path / "response.nc")
    back = ResponseModel.load(tmp_path / "response.nc")
    assert back.channels == model.channels and back.saturation == model.saturation
    np.testing.assert_array_equal(back.weights, model.weights)
    np.testing.assert_array_equal(back.coef, model.coef)
    for k, v in model.params.items():
        np.testing.assert_array_equal(back.params[k], v)
    np.testing.assert_array_equal(back.spend, model.spend)
    assert back.dates == model.dates and back.n_fit == model.n_fit


def test_draw_chunks_cover_every_draw_once():
    model = _many_draws(97)
    parts = list(model.draw_chunks(elements=20_000))
    assert len(parts) > 3 and sum(p.draws for p in parts) == 97
    whole, totals = fitted_window(model)
    joined = np.concatenate([fitted_window(p)[0].response(totals) for p in parts])
    np.testing.assert_allclose(joined, whole.response(totals), rtol=1e-12)


def test_fixed_saturation_parameters_come_from_the_priors():
    """A parameter held fixed (``fixed`` calibration, or a number in the config) is not in the
    posterior: every draw gets its value."""
    import xarray as xr

    from mmmcli.decisions.response import from_fit
    from mmmcli.inputs.data import load_data
    from mmmcli.priors.resolve import resolve_priors
    from mmmcli.spec import names
    from mmmcli.spec.config import load_config
    from tests.helpers import EXAMPLE

    cfg = load_config(EXAMPLE)
    data = load_data(cfg)
    priors = resolve_priors(cfg, data)
    priors[names.transform_param("tv", "lam")] = priors[
        names.transform_param("tv", "lam")
    ].fixed_at(0.7, "fixed")
    draws = 6
    posterior = xr.Dataset(
        {
            names.transform_param(c, "lam"): (("chain", "draw"), np.full((2, 3), 1.0 + j))
            for j, c in enumerate(cfg.channels)
            if c != "tv"
        }
    )
    parameters = {
        names.ADSTOCK_WEIGHTS: np.full((draws, 4, 9), 1 / 9),
        names.CHANNEL_COEF: np.ones((draws, 4)),
    }
    model = from_fit(
        cfg,
        data.spend,
        list(map(str, data.dates)),
        data.n_train,
        data.freq,
        data.spend_scale,
        priors,
        posterior,
        parameters,
    )
    np.testing.assert_array_equal(model.params["lam"][:, 0], 0.7)
    np.testing.assert_array_equal(model.params["lam"][:, 1], 2.0)
    assert model.coef_path is None and model.n_fit == data.n_train
