"""The prior-data conflict report: where the posterior sits against a bounded prior."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from mmmcli.analysis.conflict import prior_conflict
from mmmcli.analysis.notices import conflict_lines
from mmmcli.priors import PriorSet, ResolvedPrior, solve_bounds
from mmmcli.spec.config import Bounds
from tests.helpers import example_config, invoke


def _bounded(name: str, lower: float, upper: float) -> ResolvedPrior:
    bounds = Bounds(dist="Gamma", lower=lower, upper=upper, mass=0.95)
    dist, params, achieved = solve_bounds(bounds)
    return ResolvedPrior(name, dist, params, "bounds", "", name, bounds, achieved)


def _posterior(**draws) -> xr.Dataset:
    return xr.Dataset(
        {k: (("chain", "draw"), np.asarray(v).reshape(2, -1)) for k, v in draws.items()}
    )


def test_conflict_flags():
    priors = PriorSet({n: _bounded(n, 3, 10) for n in ("ok", "low", "high", "out")})
    priors["explicit"] = ResolvedPrior(
        "explicit", "HalfNormal", {"sigma": 1.0}, "explicit", "", "e"
    )
    rng = np.random.default_rng(0)
    post = _posterior(
        ok=rng.normal(6, 0.5, 400),
        low=rng.normal(3.2, 0.2, 400),
        high=rng.normal(9.8, 0.3, 400),
        out=rng.normal(20, 1, 400),
        explicit=rng.normal(1, 0.1, 400),
    )
    table = prior_conflict(priors, post).set_index("parameter")
    assert table["flag"].to_dict() == {
        "ok": "ok",
        "low": "at_lower",
        "high": "at_upper",
        "out": "outside",
    }
    assert table.loc["ok", "posterior_mass_inside"] == 1.0
    assert table.loc["out", "posterior_mass_inside"] == 0.0
    assert 0 < table.loc["ok", "sd_ratio"] < 1
    lines = conflict_lines(table.reset_index())
    assert len(lines) == 3 and any("upper bound" in line for line in lines)


def test_conflict_report_for_half_student_t():
    bounds = Bounds(dist="HalfStudentT", lower=0, upper=5)
    dist, params, achieved = solve_bounds(bounds)
    priors = PriorSet({"s": ResolvedPrior("s", dist, params, "bounds", "", "s", bounds, achieved)})
    post = xr.Dataset({"s": (("chain", "draw"), np.full((2, 50), 2.0))})
    table = prior_conflict(priors, post)
    assert np.isfinite(table.loc[0, "prior_sd"]) and table.loc[0, "flag"] == "ok"


@pytest.mark.sampling
def test_fit_writes_conflict_report(tmp_path):
    channels = {
        "tv": {
            "spend": "tv_spend",
            "adstock": {"type": "geometric", "max_lag": 8},
            "saturation": {"type": "logistic"},
            "coefficient": {"bounds": {"dist": "Gamma", "lower": 20, "upper": 60}},
        },
    }
    path = example_config(tmp_path, channels=channels, controls={})
    result = invoke("fit", path, "--quick", "--engine", "pymc")
    assert result.exit_code == 0, result.stderr
    (run,) = [p for p in (tmp_path / "runs" / "example").iterdir() if not p.name.startswith(".")]
    table = pd.read_csv(run / "prior_conflict.csv")
    row = table.set_index("parameter").loc["tv_coef"]
    assert row["flag"] in {"outside", "at_upper"}  # the truth is ~350, far above [20, 60]
    assert "prior conflict: tv_coef" in result.stderr


@pytest.mark.sampling
def test_a_cpa_prior_is_checked_against_the_data(tmp_path):
    """A CPA prior far from what the data say (tv's true CPA is under a hundred currency units
    per conversion) is reported like any bounded prior, and priors.csv shows the coefficient
    range it implies."""
    channels = {
        "tv": {
            "spend": "tv_spend",
            "adstock": {"type": "geometric", "max_lag": 8},
            "saturation": {"type": "logistic"},
            "cpa": {"bounds": {"dist": "LogNormal", "lower": 500, "upper": 2000, "mass": 0.9}},
        },
    }
    path = example_config(tmp_path, channels=channels, controls={})
    result = invoke("fit", path, "--quick", "--engine", "pymc")
    assert result.exit_code == 0, result.stderr
    (run,) = [p for p in (tmp_path / "runs" / "example").iterdir() if not p.name.startswith(".")]
    row = pd.read_csv(run / "prior_conflict.csv").set_index("parameter").loc["tv_cpa"]
    assert row["flag"] in {"outside", "at_lower"}
    priors = pd.read_csv(run / "priors.csv").set_index("parameter")
    assert priors.loc["tv_cpa", "source"] == "bounds"
    assert priors.loc["tv_cpa", "implied_coefficient"].startswith("coefficient ")
