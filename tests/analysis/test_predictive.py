"""The posterior predictive's scores: CRPS, interval coverage, PSIS-LOO."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mmmcli.analysis import predictive


def test_crps_matches_its_definition():
    rng = np.random.default_rng(0)
    draws = rng.normal(size=(300, 5))
    y = np.array([-2.0, -0.3, 0.0, 0.8, 3.0])
    pairwise = np.abs(draws[:, None, :] - draws[None, :, :]).mean(axis=(0, 1))
    want = np.abs(draws - y).mean(axis=0) - 0.5 * pairwise
    np.testing.assert_allclose(predictive.crps(y, draws), want, rtol=1e-12)


def test_crps_of_a_normal_matches_the_closed_form():
    rng = np.random.default_rng(1)
    draws = rng.normal(0, 2, size=(20_000, 1))
    y = np.array([1.0])
    z = y / 2
    closed = 2 * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi))
    assert predictive.crps(y, draws)[0] == pytest.approx(closed[0], rel=0.02)


def test_coverage_needs_the_noise():
    """Observations are the mean plus noise: the mean's own spread covers few of them, the
    predictive covers about its nominal share. (This is what fails if the noise is left out.)"""
    rng = np.random.default_rng(2)
    periods, draws = 400, 1000
    truth = np.linspace(0, 10, periods)
    y = truth + rng.normal(0, 1.0, periods)
    mu = truth + rng.normal(0, 0.1, (draws, 1))  # a well-estimated mean
    sigma = np.full(draws, 1.0)
    with_noise = mu + predictive.noise_draws("normal", sigma, None, mu.shape, seed=3)
    scores = predictive.scores(y, with_noise)
    assert 0.90 <= scores["coverage_94"] <= 0.98
    assert 0.42 <= scores["coverage_50"] <= 0.58
    assert predictive.scores(y, mu)["coverage_94"] < 0.5


def test_student_t_noise_and_log_likelihood():
    rng = np.random.default_rng(4)
    sigma, nu = np.full(2000, 2.0), np.full(2000, 3.0)
    noise = predictive.noise_draws("student_t", sigma, nu, (2000, 50), seed=5)
    assert np.median(np.abs(noise)) == pytest.approx(2 * stats.t.ppf(0.75, 3), rel=0.1)
    mu = rng.normal(size=(2000, 50))
    y = rng.normal(size=50)
    ll = predictive.log_likelihood("student_t", y, mu, sigma, nu)
    np.testing.assert_allclose(ll[0, 0], stats.t.logpdf(y[0], 3, loc=mu[0, 0], scale=2.0))


def test_loo_of_a_well_specified_model():
    rng = np.random.default_rng(6)
    n, chains, draws = 60, 2, 500
    y = rng.normal(1.0, 1.0, n)
    mu = rng.normal(y.mean(), 1 / np.sqrt(n), size=(chains * draws, 1)) * np.ones((1, n))
    ll = predictive.log_likelihood("normal", y, mu, np.ones(chains * draws), None)
    result = predictive.loo(ll, chains, [f"d{i}" for i in range(n)])
    s = result.summary
    assert s["n"] == n and s["pareto_k_above"] == 0 and s["pareto_k_max"] < 0.5
    assert 0.5 < s["p_loo"] < 2.0  # one effective parameter (the mean)
    assert s["elpd_loo"] == pytest.approx(result.pointwise["elpd_loo"].sum())
    assert s["elpd_loo"] < stats.norm.logpdf(y, y.mean(), 1).sum()  # out of sample is worse
    assert list(result.pointwise.columns) == ["date", "elpd_loo", "pareto_k"]


def _normal_loglik(draws: int, n: int = 12, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.normal(0.0, 1.0, n)
    mu = rng.normal(0.0, 0.2, size=(draws, 1)) * np.ones((1, n))
    return predictive.log_likelihood("normal", y, mu, np.ones(draws), None), y


@pytest.mark.parametrize("chains, draws", [(1, 25), (5, 5), (2, 13)])
def test_loo_at_the_smallest_posterior_the_sampler_settings_allow(chains, draws):
    """25 draws in all (``MIN_DRAWS``) is enough for PSIS: every k estimated or flagged."""
    assert chains * draws >= predictive.MIN_DRAWS
    ll, _ = _normal_loglik(chains * draws)
    s = predictive.loo(ll, chains, [f"d{i}" for i in range(12)]).summary
    assert np.isfinite(s["elpd_loo"]) and s["n"] == 12


@pytest.mark.parametrize("draws", [1, 4, 20, 24])
def test_loo_below_psis_minimum_falls_back_and_flags_every_period(draws):
    """Fewer than 25 draws: PSIS cannot fit its tail (ArviZ raised 'n_draws_tail must be at
    least 5', an internal error of the whole fit); now plain importance sampling, k inf."""
    ll, _ = _normal_loglik(draws)
    result = predictive.loo(ll, 1, [f"d{i}" for i in range(12)])
    s = result.summary
    assert s["pareto_k_above"] == s["n"] == 12 and s["pareto_k_max"] == np.inf
    assert np.isfinite(s["elpd_loo"]) and np.isfinite(s["se"])
    assert s["elpd_loo"] == pytest.approx(result.pointwise["elpd_loo"].sum())


def test_loo_of_a_chain_that_never_moved():
    """Identical draws (a stuck chain): 'All tail values are the same' in PSIS; the fallback's
    ELPD is then the log-likelihood of that one draw, every period flagged."""
    ll, _ = _normal_loglik(1)
    stuck = np.repeat(ll, 40, axis=0)
    result = predictive.loo(stuck, 2, [f"d{i}" for i in range(12)])
    np.testing.assert_allclose(result.pointwise["elpd_loo"], ll[0], rtol=1e-12)
    assert result.summary["pareto_k_above"] == 12
    assert result.summary["p_loo"] == pytest.approx(0.0, abs=1e-9)
