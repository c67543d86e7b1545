"""The near-miss rule on constructed diagnostics: what is retried, what is not and why, the
retry's settings, and the sentences that report it."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from mmmcli.analysis.diagnosis import concentrated_divergences
from mmmcli.analysis.nearmiss import (
    attempt_record,
    attempt_seed,
    few,
    judge,
    near_miss,
    retry_settings,
)
from mmmcli.analysis.notices import retry_line
from mmmcli.spec.config import Checks, Retry, Sampler

SETTINGS = Sampler()  # 4 chains x 1000 draws, target_accept 0.9
POLICY = Retry()  # max 1, target_accept 0.97


def gate(divergences: int = 1, r_hat: float = 1.003, ess: float = 2340.0) -> dict:
    """``diagnostics.diagnose``'s verdict for these figures, against the default checks."""
    checks = Checks()
    passed = {
        "r_hat": r_hat <= checks.max_r_hat,
        "ess_bulk": ess >= checks.min_ess_bulk,
        "divergences": divergences <= checks.max_divergences,
    }
    return {
        "max_r_hat": r_hat,
        "min_ess_bulk": ess,
        "min_ess_tail": ess,
        "divergences": divergences,
        "thresholds": checks.model_dump(),
        "passed": all(passed.values()),
        "failed": [k for k, ok in passed.items() if not ok],
    }


def test_one_divergence_with_r_hat_and_ess_passing_is_retried():
    """The issue's case: 1 divergence in 4,000 draws, r_hat 1.003, ESS 2,340."""
    verdict = judge(gate(), [], SETTINGS, POLICY, attempt=1)
    assert verdict.retry
    assert verdict.why == (
        "a near miss (1 divergence at target_accept 0.9, in no parameter's tail, r_hat and ESS "
        "passing): sampling again at target_accept 0.97"
    )


def test_few_is_one_percent_of_the_kept_draws():
    assert few(SETTINGS.model_dump()) == 40  # 4 x 1000
    assert few({"chains": 2, "draws": 200}) == 4
    assert few({"chains": 1, "draws": 10}) == 1  # at least one
    assert judge(gate(divergences=40), [], SETTINGS, POLICY, attempt=1).retry
    too_many = judge(gate(divergences=41), [], SETTINGS, POLICY, attempt=1)
    assert not too_many.retry
    assert too_many.why.startswith(
        "not retried: 41 divergences in 4,000 draws are more than a few (at most 40, 1%)"
    )


@pytest.mark.parametrize(
    "figures, said",
    [
        ({"r_hat": 1.052}, "max r_hat 1.052 > 1.01"),
        ({"ess": 210.0}, "min ESS bulk 210 < 400"),
        ({"r_hat": 1.03, "ess": 150.0}, "max r_hat 1.030 > 1.01 and min ESS bulk 150 < 400"),
        ({"r_hat": 1.03, "divergences": 0}, "max r_hat 1.030 > 1.01"),
    ],
)
def test_bad_r_hat_or_ess_is_never_retried_and_says_why(figures, said):
    verdict = judge(gate(**figures), [], SETTINGS, POLICY, attempt=1)
    assert not verdict.retry
    assert verdict.why == (
        f"not retried: {said}: the chains have not settled or mix too slowly, which smaller "
        f"steps do not fix; it needs a person"
    )


def concentrated_trace(divergent: int) -> xr.DataTree:
    """4 x 500 independent normal draws of ``a`` and ``b``; the ``divergent`` divergent draws
    all sit where ``a`` is in its lowest 10%."""
    rng = np.random.default_rng(0)
    shape = (4, 500)
    a, b = rng.normal(0, 1, shape), rng.normal(5, 2, shape)
    low = np.flatnonzero(a.ravel() < np.quantile(a, 0.1))
    diverging = np.zeros(a.size, bool)
    diverging[rng.choice(low, divergent, replace=False)] = True
    dims = ("chain", "draw")
    posterior = xr.Dataset({"a": (dims, a), "b": (dims, b)})
    stats = xr.Dataset({"diverging": (dims, diverging.reshape(shape))})
    return xr.DataTree.from_dict({"posterior": posterior, "sample_stats": stats})


def test_divergences_concentrated_in_a_tail_are_not_retried():
    """Few (6 of 2,000 draws), but the existing binomial test puts them all in a's low tail."""
    tree = concentrated_trace(6)
    concentrated = concentrated_divergences(tree)
    assert [d["parameter"] for d in concentrated] == ["a"]
    settings = SETTINGS.model_copy(update={"draws": 500})
    verdict = judge(gate(divergences=6), concentrated, settings, POLICY, attempt=1)
    assert not verdict.retry
    assert verdict.why.startswith(
        "not retried: the divergences concentrate where a is in its lowest 10%: the model's "
        "geometry is at fault there"
    )


def test_target_accept_only_goes_up():
    at = SETTINGS.model_copy(update={"target_accept": 0.97})
    verdict = judge(gate(), [], at, POLICY, attempt=1)
    assert not verdict.retry
    assert "not retried: target_accept 0.97 is already at least sampler.retry.target_accept " in (
        verdict.why
    )
    above = SETTINGS.model_copy(update={"target_accept": 0.98})
    assert not judge(gate(), [], above, POLICY, attempt=1).retry
    assert retry_settings(above, POLICY, 2).target_accept == 0.98  # never lowered


def test_switched_off_by_config_or_command_line():
    off = judge(gate(), [], SETTINGS, Retry(max=0), attempt=1)
    assert not off.retry and off.why.endswith("not retried (sampler.retry is off)")
    flag = judge(gate(), [], SETTINGS, POLICY, attempt=1, switched_off="--no-retry")
    assert not flag.retry and flag.why.endswith("not retried (--no-retry)")
    assert flag.why.startswith("a near miss (1 divergence at target_accept 0.9")


def test_the_retry_is_judged_on_its_own_and_never_retried_again():
    retry = retry_settings(SETTINGS, POLICY, 2)
    again = judge(gate(divergences=2), [], retry, POLICY, attempt=2)
    assert not again.retry
    assert again.why.startswith("failed again after the retry: still a near miss (2 divergences")
    worse = judge(gate(r_hat=1.02), [], retry, POLICY, attempt=2)
    assert worse.why.startswith("failed again after the retry: max r_hat 1.020 > 1.01")


def test_retry_settings_raise_target_accept_and_derive_a_seed():
    retry = retry_settings(SETTINGS, POLICY, 2)
    assert retry.target_accept == 0.97
    assert retry.seed == attempt_seed(42, 2) != 42
    assert 0 <= retry.seed <= 2**63 - 1
    same = {k: v for k, v in retry.model_dump().items() if k not in ("target_accept", "seed")}
    assert same == {
        k: v for k, v in SETTINGS.model_dump().items() if k not in ("target_accept", "seed")
    }
    assert attempt_seed(42, 1) == 42  # the first attempt is the fit as configured
    assert attempt_seed(42, 2) == attempt_seed(42, 2)  # deterministic
    assert len({attempt_seed(s, 2) for s in range(50)}) == 50
    assert attempt_seed(2**63 - 1, 2) <= 2**63 - 1


def test_near_miss_reason_of_a_passing_gate():
    assert near_miss(gate(divergences=0), [], SETTINGS.model_dump()) == "the checks passed"


def test_records_and_the_sentence_that_reports_them():
    first = attempt_record(1, SETTINGS, gate(), 12.3456, "failed", "a near miss (...)")
    assert first["settings"] == {
        "target_accept": 0.9,
        "seed": 42,
        "draws": 1000,
        "tune": 1000,
        "chains": 4,
    }
    assert (first["divergences"], first["seconds"], first["failed"]) == (1, 12.346, ["divergences"])
    retry = retry_settings(SETTINGS, POLICY, 2)
    passed = attempt_record(2, retry, gate(divergences=0), 20.0, "passed", None)
    assert retry_line([first]) is None
    assert retry_line([first, passed]) == (
        "retried once: 1 divergence at target_accept 0.9; passed at 0.97"
    )
    failed = attempt_record(2, retry, gate(divergences=3, r_hat=1.02), 20.0, "failed", "...")
    assert retry_line([first, failed]) == (
        "retried once: 1 divergence at target_accept 0.9; failed again at 0.97 "
        "(max r_hat 1.020, 3 divergences)"
    )
