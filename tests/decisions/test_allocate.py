"""The allocator against brute force on the true parameters, its constraints, and bad requests."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmmcli.decisions.allocate import allocate, limits, optimise
from mmmcli.decisions.response import horizon
from mmmcli.errors import UsageError
from mmmcli.spec.config import Optimize
from tests.decisions.truth import DATA, true_model, true_response

PERIODS = 13


def _grid_best(channels: list[str], budget: float, steps: int) -> float:
    best = -np.inf
    grid = np.linspace(0.0, 1.0, steps)
    for head in itertools.product(grid, repeat=len(channels) - 1):
        if sum(head) > 1 + 1e-12:
            continue
        shares = np.array([*head, 1 - sum(head)])
        best = max(best, true_response(channels, shares * budget, PERIODS))
    return best


@pytest.mark.parametrize(
    ("channels", "budget", "steps"),
    [(["tv", "radio"], 195_000.0, 801), (["tv", "radio", "social"], 250_000.0, 161)],
)
def test_matches_a_brute_force_grid_within_a_tenth_of_a_percent(channels, budget, steps):
    """With the true parameters, the recommendation's true response (recomputed independently)
    is within 0.1% of the best point of a fine grid over the budget shares."""
    result = allocate(true_model(channels), Optimize(periods=PERIODS, budget=budget))
    chosen = result.table["recommended_spend"].to_numpy()
    assert chosen.sum() == pytest.approx(budget, rel=1e-9)
    achieved = true_response(channels, chosen, PERIODS)
    assert achieved >= _grid_best(channels, budget, steps) * (1 - 1e-3)
    assert result.table["response_mean"].sum() == pytest.approx(achieved, rel=1e-9)


def test_carry_in_moves_budget_away_from_a_channel_already_saturated():
    """Same budget, same model: after a heavy tv flight the optimizer gives tv less."""
    history = DATA[["tv_spend", "radio_spend"]].to_numpy().copy()
    quiet, heavy = history.copy(), history.copy()
    quiet[-8:, 0] = 0.0
    heavy[-8:, 0] = 60_000.0
    request = Optimize(periods=6, budget=120_000.0)
    after_quiet = allocate(true_model(["tv", "radio"], quiet), request).table
    after_heavy = allocate(true_model(["tv", "radio"], heavy), request).table
    tv_quiet = after_quiet.set_index("channel").loc["tv", "recommended_spend"]
    tv_heavy = after_heavy.set_index("channel").loc["tv", "recommended_spend"]
    assert tv_heavy < tv_quiet - 0.03 * 120_000  # measured: 80,796 vs 85,806


def test_reports_gain_over_the_recent_mix():
    result = allocate(true_model(["tv", "radio", "social", "search"]), Optimize(periods=PERIODS))
    s = result.summary
    recent = DATA[["tv_spend", "radio_spend", "social_spend", "search_spend"]].iloc[-PERIODS:]
    assert s["budget"] == pytest.approx(recent.to_numpy().sum())
    assert s["gain_mean"] >= 0  # one draw: the gain is exact, never negative at an optimum
    assert s["gain_probability_positive"] in (0.0, 1.0)
    table = result.table.set_index("channel")
    assert table["baseline_spend"].sum() == pytest.approx(s["budget"])
    assert list(table.columns[-3:]) == ["mcpa_mean", "mcpa_hdi_low", "mcpa_hdi_high"]
    # at an interior optimum the marginal CPAs are (nearly) equal
    inner = table[(table["recommended_spend"] > 1) & (table["recommended_spend"] < s["budget"])]
    spread = inner["mcpa_mean"].max() / inner["mcpa_mean"].min()
    assert spread < 1.05


def test_bounds_in_multiples_and_in_spend_units_are_respected():
    model = true_model(["tv", "radio", "social", "search"])
    request = Optimize(
        periods=PERIODS,
        bounds={"tv": (0.9, 1.1), "radio": (None, 0.5)},
        spend_bounds={"search": (100_000.0, None)},
    )
    table = allocate(model, request).table.set_index("channel")
    recent = table["recent_spend"]
    assert 0.9 * recent["tv"] - 1e-6 <= table.loc["tv", "recommended_spend"]
    assert table.loc["tv", "recommended_spend"] <= 1.1 * recent["tv"] + 1e-6
    assert table.loc["radio", "recommended_spend"] <= 0.5 * recent["radio"] + 1e-6
    assert table.loc["search", "recommended_spend"] >= 100_000.0 - 1e-6


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (Optimize(periods=13, budget=1000.0, spend_bounds={"tv": (5000.0, None)}), "lower bound"),
        (
            Optimize(
                periods=13, budget=9000.0, spend_bounds={"tv": (5000, None), "radio": (5000, None)}
            ),
            "below the sum of the lower bounds",
        ),
        (
            Optimize(periods=13, budget=9000.0, spend_bounds={"tv": (0, 1), "radio": (0, 1)}),
            "above the sum of the upper bounds",
        ),
        (Optimize(periods=13, bounds={"print": (0.5, 1.5)}), "bounds.print: unknown channel"),
        (Optimize(periods=300), "more than the 156 observed periods"),
    ],
)
def test_bad_requests_say_what_is_wrong(request_, message):
    with pytest.raises(UsageError, match=message):
        allocate(true_model(["tv", "radio"]), request_)


def test_multiples_of_nothing_are_refused():
    spend = DATA[["tv_spend", "radio_spend"]].to_numpy().copy()
    spend[-13:, 0] = 0.0
    with pytest.raises(UsageError, match="spent nothing in the last 13 periods"):
        allocate(true_model(["tv", "radio"], spend), Optimize(periods=13, bounds={"tv": (1, 2)}))


def test_config_block_validates_bounds():
    with pytest.raises(ValueError, match="lower 2 is above upper 1"):
        Optimize(periods=4, bounds={"tv": (2, 1)})
    with pytest.raises(ValueError, match="both bounds and spend_bounds"):
        Optimize(periods=4, bounds={"tv": (1, 2)}, spend_bounds={"tv": (0, 10)})


@settings(max_examples=25, deadline=None)
@given(
    budget=st.floats(20_000, 2_000_000),
    lower=st.lists(st.floats(0, 0.3), min_size=3, max_size=3),
    width=st.lists(st.floats(0.05, 1.0), min_size=3, max_size=3),
)
def test_recommendation_is_feasible_and_no_worse_than_any_start(budget, lower, width):
    """Whatever the bounds: the budget is spent exactly, every bound holds, and the objective
    is at least that of the recent mix moved into the bounds."""
    channels = ["tv", "radio", "social"]
    lo = np.array(lower) * budget
    hi = np.minimum(lo + np.array(width) * budget, budget)
    if lo.sum() > budget or hi.sum() < budget:
        return
    model = true_model(channels)
    request = Optimize(
        periods=PERIODS,
        budget=budget,
        spend_bounds={c: (float(lo[j]), float(hi[j])) for j, c in enumerate(channels)},
    )
    lim = limits(model.channels, model.spend, request)
    scenario = horizon(model, lim.pattern)
    best, runs = optimise(scenario, lim, None)
    assert best.sum() == pytest.approx(budget, rel=1e-7)
    assert (best >= lo - 1e-6 * budget).all() and (best <= hi + 1e-6 * budget).all()
    assert scenario.objective(best, None)[0] >= max(r["value"] for r in runs) - 1e-9


def test_a_channel_driven_to_zero_gets_exactly_zero_and_a_finite_marginal():
    """With a bound that forces most money elsewhere, leftovers like 1e-13 are snapped to the
    bound, and the marginal there is measured with a real step, not rounding noise."""
    model = true_model(["tv", "radio", "social"])
    request = Optimize(periods=PERIODS, budget=30_000.0, spend_bounds={"radio": (25_000, None)})
    table = allocate(model, request).table.set_index("channel")
    assert table["recommended_spend"].sum() == pytest.approx(30_000.0, rel=1e-9)
    zero = table[table["recommended_spend"] < 1.0]
    assert (zero["recommended_spend"] == 0.0).all()
    assert np.isfinite(table["mcpa_mean"]).all() and (table["mcpa_mean"] > 0).all()


def test_identical_draws_plot_and_report(tmp_path):
    """A channel whose draws are all the same (a fixed channel): HDI = mean up to rounding, and
    the allocation plot still draws."""
    from dataclasses import replace

    from mmmcli.runs.writers import write_allocation

    base = true_model(["tv", "radio"])
    many = replace(
        base,
        weights=np.repeat(base.weights, 400, axis=0),
        params={"lam": np.repeat(base.params["lam"], 400, axis=0)},
        coef=np.repeat(base.coef, 400, axis=0) * np.linspace(0.9, 1.1, 400)[:, None] ** [0, 1],
    )
    result = allocate(many, Optimize(periods=PERIODS))
    write_allocation(tmp_path, result, {"periods": PERIODS}, None, "fixed")
    assert (tmp_path / "plots" / "allocation.png").stat().st_size > 0
