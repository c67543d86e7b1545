"""Prior tooling: `mmm prior` (prior predictive) and the prior-data conflict report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import xarray as xr

from mmmcli.analysis.conflict import conflict_lines, prior_conflict
from mmmcli.priors import PriorSet, ResolvedPrior, solve_bounds
from mmmcli.spec.config import Bounds
from tests.conftest import EXAMPLE, run_mmm, write_config


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


def test_fit_writes_conflict_report(tmp_path):
    channels = {
        "tv": {
            "spend": "tv_spend",
            "adstock": {"type": "geometric", "max_lag": 8},
            "saturation": {"type": "logistic"},
            "coefficient": {"bounds": {"dist": "Gamma", "lower": 20, "upper": 60}},
        },
    }
    path = write_config(tmp_path, channels=channels, controls={})
    proc = run_mmm("fit", str(path), "--quick", "--engine", "pymc")
    assert proc.returncode == 0, proc.stderr
    (run,) = [p for p in (tmp_path / "runs" / "example").iterdir() if not p.name.startswith(".")]
    table = pd.read_csv(run / "prior_conflict.csv")
    row = table.set_index("parameter").loc["tv_coef"]
    assert row["flag"] in {"outside", "at_upper"}  # the truth is ~350, far above [20, 60]
    assert "prior conflict: tv_coef" in proc.stderr


def test_prior_command(tmp_path):
    proc = run_mmm("prior", str(EXAMPLE), "--out", str(tmp_path), "--draws", "200", "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    folder = tmp_path / "example"
    (run,) = list(folder.iterdir())
    assert run.name.startswith("prior-") and str(run) == result["run_dir"]
    summary = pd.read_csv(run / "prior_predictive.csv")
    assert list(summary.columns) == ["quantity", "channel", "low", "median", "high"]
    assert {"target per period", "contribution", "share", "cpa"} <= set(summary["quantity"])
    target = pd.read_csv(run / "prior_predictive_target.csv")
    assert len(target) == 148 and {"observed", "low", "high", "outside"} <= set(target.columns)
    assert (run / "plots" / "prior_predictive.png").is_file()
    assert result["flagged"] is False  # the default priors are wide enough to cover the data


def test_prior_flags_priors_that_miss_the_data(tmp_path):
    path = write_config(tmp_path, intercept={"dist": "Normal", "mu": 10000, "sigma": 10})
    proc = run_mmm("prior", str(path), "--draws", "100")
    assert proc.returncode == 0, proc.stderr
    assert "outside the prior predictive 94% range" in proc.stderr
