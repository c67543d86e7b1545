"""Posterior-as-prior: each family refitted to draws by moment matching on its unconstrained
scale, widened; structure changes that break the mapping are named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mmmcli.priors.overlap import counted_twice, overlap, overlap_warnings, refusal
from mmmcli.priors.refresh import refreshed
from mmmcli.priors.resolve import ResolvedPrior
from mmmcli.spec.config import load_config
from mmmcli.workflows.prepare import structure_change
from tests.helpers import EXAMPLE

RNG = np.random.default_rng(0)


def prior(dist: str, **params: float) -> ResolvedPrior:
    return ResolvedPrior("x", dist, params, "default", "unit", "key")


def test_lognormal_is_matched_exactly_on_the_log_scale():
    draws = RNG.lognormal(1.5, 0.3, 20_000)
    out = refreshed(prior("LogNormal", mu=0.0, sigma=1.0), draws, 2.0, "runs/a")
    assert out.dist == "LogNormal" and out.source == "refresh" and out.origin == "runs/a"
    assert out.params["mu"] == pytest.approx(1.5, abs=0.01)
    assert out.params["sigma"] == pytest.approx(0.6, rel=0.02)  # widened twice


def test_gamma_matches_the_draws_log_moments():
    draws = RNG.gamma(8.0, 1 / 2.0, 50_000)
    out = refreshed(prior("Gamma", alpha=2.0, beta=1.0), draws, 1.0, "r")
    assert out.params["alpha"] == pytest.approx(8.0, rel=0.05)
    assert out.params["beta"] == pytest.approx(2.0, rel=0.05)
    wide = refreshed(prior("Gamma", alpha=2.0, beta=1.0), draws, 2.0, "r")
    logs = np.log(stats.gamma(wide.params["alpha"], scale=1 / wide.params["beta"]).rvs(50_000))
    assert logs.std() == pytest.approx(2 * np.log(draws).std(), rel=0.05)
    assert np.median(logs) == pytest.approx(np.median(np.log(draws)), abs=0.15)


@pytest.mark.parametrize("family", ["HalfNormal", "Exponential", "HalfStudentT"])
def test_one_parameter_positive_families_become_a_gamma(family):
    draws = RNG.gamma(30.0, 1 / 1.2, 20_000)  # posterior of a noise sd around 25
    params = {"sigma": 10.0} if family != "Exponential" else {"lam": 0.1}
    if family == "HalfStudentT":
        params["nu"] = 3.0
    out = refreshed(prior(family, **params), draws, 1.0, "r")
    assert out.dist == "Gamma"
    assert stats.gamma(out.params["alpha"], scale=1 / out.params["beta"]).median() == (
        pytest.approx(np.median(draws), rel=0.02)
    )


def test_beta_matches_the_logit_moments():
    draws = RNG.beta(12.0, 8.0, 50_000)
    out = refreshed(prior("Beta", alpha=1.0, beta=1.0), draws, 1.0, "r")
    assert out.params["alpha"] == pytest.approx(12.0, rel=0.05)
    assert out.params["beta"] == pytest.approx(8.0, rel=0.05)


def test_normal_studentt_and_a_vector_parameter():
    draws = RNG.normal([1.0, -2.0, 5.0], [0.1, 0.5, 2.0], size=(20_000, 3))
    out = refreshed(prior("Normal", mu=0.0, sigma=10.0), draws, 2.0, "r")
    np.testing.assert_allclose(out.params["mu"], [1.0, -2.0, 5.0], atol=0.05)
    np.testing.assert_allclose(out.params["sigma"], [0.2, 1.0, 4.0], rtol=0.03)
    assert out.size == 3
    t = refreshed(prior("StudentT", nu=3.0, mu=0.0, sigma=1.0), draws[:, 0], 1.0, "r")
    assert t.params["nu"] == 3.0 and t.params["mu"] == pytest.approx(1.0, abs=0.01)


def test_bounded_families_keep_their_interval():
    draws = RNG.uniform(0.2, 0.4, 10_000)
    out = refreshed(prior("Uniform", lower=0.0, upper=1.0), draws, 2.0, "r")
    assert out.dist == "TruncatedNormal"
    assert (out.params["lower"], out.params["upper"]) == (0.0, 1.0)


def test_the_resolved_config_keeps_the_config_s_own_prior():
    base = prior("Gamma", alpha=2.0, beta=1.0)
    out = refreshed(base, RNG.gamma(5.0, 1.0, 1000), 2.0, "r")
    assert out.to_yaml() == base.to_yaml()
    assert out.row()["refreshed_from"] == "r" and out.row()["source"] == "refresh"


def test_structure_changes_that_break_the_mapping():
    cfg = load_config(EXAMPLE)
    same = {
        "channels": {
            n: {
                "spend": c.spend,
                "adstock": {"type": c.adstock.type},
                "saturation": {"type": c.saturation.type},
            }
            for n, c in cfg.channels.items()
        },
        "target": {"kind": "conversions", "column": "conversions", "likelihood": "normal"},
    }
    assert structure_change(cfg, same) is None
    t = {**same, "target": {**same["target"], "likelihood": "student_t"}}
    assert "likelihood changed from 'student_t' to 'normal'" in structure_change(cfg, t)
    moved = {**same, "channels": {**same["channels"], "tv": {**same["channels"]["tv"]}}}
    moved["channels"]["tv"]["spend"] = "tv_spend_old"
    assert "reads another spend column" in structure_change(cfg, moved)
    renamed = {**same, "channels": {**same["channels"], "tv_old": same["channels"]["tv"]}}
    assert "'tv_old' of the earlier run is not in this config" in structure_change(cfg, renamed)
    other = {**same, "channels": {**same["channels"], "tv": {**same["channels"]["tv"]}}}
    other["channels"]["tv"]["adstock"] = {"type": "weibull"}
    assert "changed adstock from 'weibull' to 'geometric'" in structure_change(cfg, other)
    revenue = {**same, "target": {**same["target"], "kind": "revenue"}}
    assert "target's kind changed" in structure_change(cfg, revenue)


def test_refresh_never_widens_beyond_the_config_s_prior():
    """A parameter the data said little about has a posterior as wide as its prior; widened,
    it would be wider still (for a Beta, a pole at 0). The spread is capped at the prior's."""
    base = prior("Beta", alpha=1.0, beta=3.0)
    draws = stats.beta(1.0, 3.0).rvs(8000, random_state=1)  # posterior = prior
    out = refreshed(base, draws, 2.0, "r")
    assert out.params["alpha"] >= 0.8 and out.params["beta"] >= 2.0
    narrow = stats.beta(30.0, 70.0).rvs(8000, random_state=2)
    tight = refreshed(base, narrow, 2.0, "r")
    assert 5 < tight.params["alpha"] < 30  # widened, well inside the cap


def test_extreme_logit_moments_are_still_matched():
    """Logit mean -8 with sd 0.5 (a retention near 0.0003): Beta(4.5, 12,000)."""
    from scipy import special

    base = prior("Beta", alpha=1.0, beta=3.0)
    draws = special.expit(np.random.default_rng(0).normal(-8, 0.5, 4000))
    out = refreshed(base, draws, 1.0, "r")
    a, b = out.params["alpha"], out.params["beta"]
    assert special.digamma(a) - special.digamma(b) == pytest.approx(-8, abs=0.05)
    assert np.sqrt(special.polygamma(1, a) + special.polygamma(1, b)) == pytest.approx(
        0.5, rel=0.05
    )


def test_draws_that_fit_no_member_of_the_family_keep_the_prior():
    base = prior("Gamma", alpha=4.0, beta=4.0)
    draws = np.full(1000, np.nan)  # a damaged trace
    assert refreshed(base, draws, 2.0, "r") is base


# ---------------------------------------------------------------- what a refresh counts twice


WEEKS = pd.date_range("2024-01-01", periods=60, freq="W-MON")
Y = np.linspace(100.0, 160.0, 60)


def periods_of(start: int, stop: int, holdout: int = 0, parent=(0, 40), y=Y) -> dict:
    """``overlap`` of a parent fitted on weeks ``parent`` and this run's weeks [start, stop)
    with the last ``holdout`` held out."""
    lo, hi = parent
    return overlap(WEEKS[lo:hi], Y[lo:hi], WEEKS[start:stop], y[start:stop], stop - start - holdout)


def test_the_usual_weekly_refit_shares_the_parent_s_weeks_and_adds_new_ones():
    p = periods_of(0, 43)
    assert (p["shared"]["count"], p["new"]["count"], p["revised"]["count"]) == (40, 3, 0)
    assert (p["new"]["start"], p["new"]["end"]) == ("2024-10-07", "2024-10-21")
    assert refusal(p, "runs/a", 0) is None
    said = counted_twice(p, "runs/a", 2.0)
    assert said.startswith("refresh: 3 new periods (2024-10-07..2024-10-21); the 40 fitted by")
    assert "about 25% of their weight" in said and overlap_warnings(p, "runs/a") == []


@pytest.mark.parametrize(
    ("start", "stop", "holdout", "said"),
    [
        (0, 40, 0, "2024-01-01..2024-09-30 (40 periods), add none"),  # the same weeks
        (0, 30, 0, "2024-01-01..2024-07-22 (30 periods), add none"),  # ends before the parent
        (10, 40, 0, "2024-03-11..2024-09-30 (30 periods), add none"),  # a later start
        (0, 44, 4, "; the 4 later ones are held out (holdout.periods 4)"),  # new weeks held out
    ],
)
def test_fitted_periods_inside_the_parent_s_are_refused(start, stop, holdout, said):
    p = periods_of(start, stop, holdout)
    refused = refusal(p, "runs/a", holdout)
    assert refused is not None and said in refused
    assert refused.startswith("runs/a was fitted on 2024-01-01..2024-09-30 (40 periods)")


def test_revised_values_are_named_refused_alone_and_warned_with_new_weeks():
    revised = Y.copy()
    revised[5:8] += 1.0
    alone = periods_of(0, 40, y=revised)
    assert alone["revised"] == {"count": 3, "start": "2024-02-05", "end": "2024-02-19"}
    assert "(3 with revised target values: after a correction" in refusal(alone, "runs/a", 0)
    more = periods_of(0, 45, y=revised)
    assert refusal(more, "runs/a", 0) is None
    (warning,) = overlap_warnings(more, "runs/a")
    assert "3 of the 40 periods runs/a was fitted on have other target values" in warning
    same = periods_of(0, 45, y=Y * (1 + 1e-12))  # a CSV round trip is the same value
    assert same["revised"]["count"] == 0


def test_the_parent_s_holdout_is_new_to_a_refresh_of_the_same_file():
    """The parent held out its last 8 weeks; this run fits the same file without a holdout:
    those 8 were never in the parent's posterior (the file-hash check refused this)."""
    p = periods_of(0, 48, parent=(0, 40))
    assert p["new"]["count"] == 8 and refusal(p, "runs/a", 0) is None


def test_a_parent_fitted_on_later_weeks_is_warned_about():
    """Older history added (backfill) but the last weeks cut: new periods, and a warning that
    the parent's posterior holds weeks this run does not fit."""
    p = periods_of(0, 35, parent=(10, 40))
    assert p["new"]["count"] == 10 and refusal(p, "runs/a", 0) is None
    (warning,) = overlap_warnings(p, "runs/a")
    assert "end 2024-08-26, before runs/a's (2024-09-30): its posterior holds 5 later" in warning
