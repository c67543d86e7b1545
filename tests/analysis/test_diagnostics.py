"""The convergence gate."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from mmmcli.analysis.diagnostics import diagnose, posterior_summary, sampler_problem
from mmmcli.spec.config import Checks


def test_uncomputable_r_hat_fails_the_gate():
    summary = pd.DataFrame({"r_hat": [np.nan], "ess_bulk": [1000.0], "ess_tail": [1000.0]})
    idata = {"sample_stats": xr.Dataset({"diverging": (("chain", "draw"), np.zeros((1, 10)))})}
    diag = diagnose(summary, idata, Checks())
    assert diag["passed"] is False and "r_hat" in diag["failed"]


@pytest.mark.parametrize(
    "chains, draws, gated, keys",
    [
        (2, 10, True, ("draws", "chains")),  # 20 draws: below PSIS-LOO's 25
        (1, 20, False, ("draws", "chains")),
        (1, 25, True, ("chains",)),  # enough draws, but r_hat needs two chains
        (1, 25, False, None),  # unchecked (--quick): one chain is fine
        (2, 13, True, None),
        (5, 5, True, None),
    ],
)
def test_sampler_problem_names_the_minimum(chains, draws, gated, keys):
    problem = sampler_problem(chains, draws, gated)
    assert (problem[0] if problem else None) == keys
    if problem and "draws" in keys:
        assert f"{chains * draws} draws in all; at least 25" in problem[1]
    elif problem:
        assert "r_hat compares chains and needs at least 2" in problem[1]


def test_summary_of_one_chain_and_a_parameter_that_never_moved_is_silent():
    """ArviZ divides by zero for r_hat of one chain and for a constant: NaN, never a warning
    on the user's terminal."""
    rng = np.random.default_rng(0)
    posterior = xr.Dataset(
        {
            "a": (("chain", "draw"), rng.normal(size=(1, 25))),
            "b": (("chain", "draw"), np.ones((1, 25))),
        }
    )
    tree = xr.DataTree.from_dict({"posterior": posterior})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        summary = posterior_summary(tree, 0.94)
    assert summary["r_hat"].isna().all() and np.isfinite(summary.loc["a", "ess_bulk"])
