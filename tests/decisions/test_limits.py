"""What a request may ask (budgets the data support, quantiles the draws resolve), and what
every answer promises: a mean inside its own interval, no library warning, the quantile that
was maximised reported for the plan and the baseline."""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats.mstats import hdquantiles

from mmmcli.decisions.allocate import (
    BUDGET_MULTIPLE,
    QUANTILE_DRAWS,
    allocate,
    limits,
    marginal_summary,
)
from mmmcli.decisions.curves import marginal_returns, response_curves
from mmmcli.decisions.intervals import credible
from mmmcli.decisions.labels import change_label
from mmmcli.decisions.response import ResponseModel, horizon
from mmmcli.errors import UsageError
from mmmcli.spec.config import Optimize
from tests.decisions.test_response import _many_draws
from tests.decisions.truth import DATA, true_model

CHANNELS = ["tv", "radio", "social", "search"]


def _lopsided(model: ResponseModel) -> ResponseModel:
    """``model`` with its first channel (logistic) saturated in 96% of its draws (``lam`` 60:
    past the data's spend its curve is 1.0 in floating point, so more spend buys exactly
    nothing) and as fitted in the rest: a bimodal posterior whose means the HDI misses."""
    lam = model.params["lam"].copy()
    lam[: int(0.96 * model.draws), 0] = 60.0
    return replace(model, params={**model.params, "lam": lam})


def _most_spent(periods: int) -> float:
    """The most the sample data spent over ``periods`` consecutive weeks (pandas, not the tool)."""
    total = DATA[[f"{c}_spend" for c in CHANNELS]].sum(axis=1)
    return float(total.rolling(periods).sum().max())


@pytest.mark.parametrize("periods", [1, 13, 52])
def test_a_budget_the_data_and_arithmetic_do_not_support_is_refused_saying_the_limit(periods):
    model = true_model(CHANNELS)
    ceiling = BUDGET_MULTIPLE * _most_spent(periods)
    lim = limits(CHANNELS, model.spend, Optimize(periods=periods, budget=ceiling * 0.999))
    assert lim.budget == pytest.approx(ceiling * 0.999)
    for budget in (ceiling * 1.001, 1e12, 1e308):
        with pytest.raises(UsageError) as err:
            limits(CHANNELS, model.spend, Optimize(periods=periods, budget=budget))
        said = str(err.value)
        assert said.startswith("budget: ") and "\n" not in said and len(said) < 200
        assert (
            f"at most {ceiling:,.0f} ({BUDGET_MULTIPLE} x {ceiling / BUDGET_MULTIPLE:,.0f}" in said
        )
        assert ("in any one observed period" if periods == 1 else f"any {periods} consec") in said
    for budget in (ceiling / BUDGET_MULTIPLE * 0.9e-6, 1e-300):
        with pytest.raises(UsageError, match="^budget: .* too small to compute with: at least"):
            limits(CHANNELS, model.spend, Optimize(periods=periods, budget=budget))
    limits(CHANNELS, model.spend, Optimize(periods=periods, budget=ceiling / BUDGET_MULTIPLE / 1e5))


@pytest.mark.parametrize(
    ("draws", "quantile", "refused"),
    [
        (4000, 0.0025, False),
        (4000, 0.002, True),
        (4000, 0.999, True),
        (400, 0.025, False),
        (400, 0.01, True),
        (19, 0.5, True),
    ],
)
def test_a_quantile_finer_than_the_draws_resolve_is_refused(draws, quantile, refused):
    model = true_model(CHANNELS)
    request = Optimize(periods=13, quantile=quantile)
    if not refused:
        limits(CHANNELS, model.spend, request, draws)
        return
    with pytest.raises(UsageError, match="^quantile: ") as err:
        limits(CHANNELS, model.spend, request, draws)
    floor = QUANTILE_DRAWS / draws
    assert (f"between {floor:g}" in str(err.value)) or ("too few" in str(err.value))


def test_a_quantile_plan_reports_the_quantile_it_maximised_for_plan_and_baseline():
    """The mean of a cautious plan can be below the recent mix's; the quantile it maximised
    is not, and it is the Harrell-Davis quantile of the plan's total response (scipy's)."""
    model = _many_draws(400, seed=5)
    model = replace(model, coef=model.coef * np.array([1, 1, 1, 1e-4]))
    result = allocate(model, Optimize(periods=13, quantile=0.1))
    s = result.summary
    assert s["quantile"] == 0.1 and s["objective"] == "quantile 0.1"
    assert s["response_quantile"] >= s["baseline_response_quantile"] - 1e-9
    best = result.table["recommended_spend"].to_numpy()
    totals = horizon(model, np.full((13, 4), 1 / 13)).response(best).sum(axis=1)
    assert s["response_quantile"] == pytest.approx(float(hdquantiles(totals, [0.1])[0]), rel=1e-9)
    mean_plan = allocate(model, Optimize(periods=13)).summary
    assert mean_plan["quantile"] is None and mean_plan["response_quantile"] is None


def test_a_mean_outside_its_hdi_is_brought_inside():
    """Lopsided draws: 55% exactly 0 (a channel saturated to 1.0 in floating point), the rest a
    long tail. The HDI is [0, sliver] and misses the mean; the reported interval holds both."""
    rng = np.random.default_rng(0)
    extra = np.concatenate([np.zeros(2200), rng.lognormal(-10, 4, 1800)])
    rng.shuffle(extra)
    from mmmcli.analysis.stats import hdi

    assert hdi(extra, 0.94)[1] < extra.mean()  # the case: the plain HDI misses the mean
    mean, low, high = credible(extra, 0.94)
    assert low <= mean <= high and mean == extra.mean()
    assert ((extra >= low) & (extra <= high)).mean() >= 0.94
    for kind, metric in (("conversions", "mcpa"), ("revenue", "mroas")):
        out = marginal_summary(kind, extra, 1e7, 0.94)
        assert out[f"{metric}_hdi_low"] <= out[f"{metric}_mean"] <= out[f"{metric}_hdi_high"]


@settings(max_examples=20, deadline=None)
@given(
    share=st.floats(2e-7, 1.0),  # the budget: from twice the smallest allowed to the ceiling
    seed=st.integers(0, 3),
    quantile=st.sampled_from([None, 0.05, 0.5]),
)
def test_every_mean_is_inside_its_interval_and_nothing_warns(share, seed, quantile):
    """Any budget the limits allow, from a sliver to the ceiling, with a lopsided channel made
    to spend: every reported mean lies in its interval, every figure is finite where it must
    be, the recent mix is said to be outside the bounds only when it is, and no library warning
    escapes (it would reach the user's terminal)."""
    model = _lopsided(_many_draws(200, seed=seed))
    model = replace(model, coef=model.coef * np.array([1, 1, 1, 1e-4]))  # linear: per unit spend
    ceiling = BUDGET_MULTIPLE * _most_spent(13)
    budget = share * ceiling
    # the lopsided channel gets a third of the budget, so its marginal is taken where it is flat
    request = Optimize(
        periods=13, budget=budget, quantile=quantile, spend_bounds={"tv": (budget / 3, None)}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = allocate(model, request)
    s = result.summary
    for key in ("response", "baseline_response", "gain"):
        assert s[f"{key}_hdi_low"] <= s[f"{key}_mean"] <= s[f"{key}_hdi_high"], key
        assert np.isfinite([s[f"{key}_mean"], s[f"{key}_hdi_low"], s[f"{key}_hdi_high"]]).all()
    t = result.table
    for key in ("response", "mcpa"):
        assert (t[f"{key}_hdi_low"] <= t[f"{key}_mean"]).all(), key
        assert (t[f"{key}_mean"] <= t[f"{key}_hdi_high"]).all(), key
    outside = (t["baseline_spend"] < t["lower_bound"] * (1 - 1e-9)) | (
        t["baseline_spend"] > t["upper_bound"] * (1 + 1e-9)
    )
    assert any("outside the bounds" in w for w in result.warnings) == outside.any()


def test_curves_and_marginal_returns_hold_their_means():
    """A lopsided channel beside channels whose draws are all the same (a mean of identical
    draws can differ from each of them in the last bit)."""
    base = true_model(["tv", "radio"])
    model = _lopsided(
        replace(
            base,
            weights=np.repeat(base.weights, 400, axis=0),
            params={"lam": np.repeat(base.params["lam"], 400, axis=0)},
            coef=np.repeat(base.coef, 400, axis=0),
        )
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        curves = response_curves(model, 0.94)
        marginal = marginal_returns(model, 0.94)
    assert (curves["response_hdi_low"] <= curves["response_mean"]).all()
    assert (curves["response_mean"] <= curves["response_hdi_high"]).all()
    assert (marginal["mcpa_hdi_low"] <= marginal["mcpa_mean"]).all()
    assert (marginal["mcpa_mean"] <= marginal["mcpa_hdi_high"]).all()


@pytest.mark.parametrize(
    ("recent", "recommended", "said"),
    [(100.0, 112.0, "+12%"), (100.0, 0.0, "-100%"), (0.0, 50.0, "new"), (0.0, 0.0, "none")],
)
def test_change_against_nothing_is_a_word_not_nan(recent, recommended, said):
    assert change_label(recent, recommended) == said
    assert change_label(float("nan"), recommended) == ("new" if recommended else "none")
