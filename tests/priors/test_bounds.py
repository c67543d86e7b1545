"""Bounds solving: the requested mass between the bounds, PyMC's answer, refusals, defaults."""

import warnings

import pymc as pm
import pytest

from mmmcli.errors import PriorError
from mmmcli.priors import solve_bounds
from mmmcli.priors.families import frozen
from mmmcli.spec.config import Bounds


@pytest.mark.parametrize(
    "dist, init",
    [("Gamma", {"alpha": 10.0, "beta": 2.0}), ("LogNormal", {"mu": 1.0, "sigma": 1.0})],
)
def test_bounds_match_pymc_find_constrained_prior(dist, init):
    name, params, achieved = solve_bounds(Bounds(dist=dist, lower=3, upper=10, mass=0.95))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pm.find_constrained_prior(
            getattr(pm, dist), 3, 10, init_guess=init, mass=0.95, options={"ftol": 1e-14}
        )
    assert name == dist
    for key, value in ref.items():
        assert params[key] == pytest.approx(float(value), rel=1e-5)
    assert achieved == pytest.approx(0.95, abs=1e-6)


@pytest.mark.parametrize(
    "dist, lower, upper, mass",
    [
        ("Normal", -2, 5, 0.9),
        ("Beta", 0.1, 0.5, 0.8),
        ("Laplace", 0, 4, 0.95),
        ("StudentT", 1, 3, 0.9),
        ("HalfNormal", 0, 10, 0.95),
        ("Exponential", 1, 10, 0.5),
    ],
)
def test_bounds_reach_requested_mass(dist, lower, upper, mass):
    name, params, achieved = solve_bounds(Bounds(dist=dist, lower=lower, upper=upper, mass=mass))
    d = frozen(name, params)
    assert d.cdf(upper) - d.cdf(lower) == pytest.approx(mass, abs=1e-6)
    assert achieved == pytest.approx(mass, abs=1e-6)


@pytest.mark.parametrize(
    "dist, lower, upper",
    [
        ("LogNormal", 1, 100),
        ("Gamma", 1e-4, 1),
        ("Beta", 0.01, 0.99),
        ("HalfStudentT", 0, 5),
    ],
)
def test_wide_bounds_solve(dist, lower, upper):
    _, _, achieved = solve_bounds(Bounds(dist=dist, lower=lower, upper=upper))
    assert achieved == pytest.approx(0.95, abs=1e-6)


def test_halfnormal_cannot_hold_95_percent_in_3_10():
    with pytest.raises(PriorError) as err:
        solve_bounds(Bounds(dist="HalfNormal", lower=3, upper=10, mass=0.95), key="channels.c")
    msg = str(err.value)
    assert "channels.c" in msg and "HalfNormal" in msg and "52.2%" in msg


def test_default_family_by_domain():
    assert solve_bounds(Bounds(lower=3, upper=10), "positive")[0] == "Gamma"
    assert solve_bounds(Bounds(lower=0.2, upper=0.6), "unit")[0] == "Beta"
    assert solve_bounds(Bounds(lower=-1, upper=1), "real")[0] == "Normal"


def test_bounds_outside_support_refused():
    with pytest.raises(PriorError, match="support"):
        solve_bounds(Bounds(dist="Gamma", lower=-1, upper=3))
    with pytest.raises(PriorError, match="edge"):
        solve_bounds(Bounds(dist="Gamma", lower=0, upper=3))
