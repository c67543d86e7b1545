"""Edge cases found in review: each must exit 2 with a clear line, or just work."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml

from mmmcli.analysis.conflict import prior_conflict
from mmmcli.analysis.diagnostics import diagnose
from mmmcli.errors import DataError
from mmmcli.inputs.data import load_data
from mmmcli.priors import PriorSet, ResolvedPrior, solve_bounds
from mmmcli.spec.config import Bounds, Checks, load_config
from mmmcli.workflows.prepare import prepare
from tests.conftest import SAMPLE, run_mmm, write_config


def test_invalid_override_exits_2_naming_the_option(tmp_path):
    proc = run_mmm("fit", str(write_config(tmp_path)), "--draws", "5")
    assert proc.returncode == 2 and "--draws" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_missing_data_file_exits_2_under_fit(tmp_path):
    path = write_config(tmp_path)
    raw = yaml.safe_load(path.read_text())
    raw["data"]["path"] = "nope.csv"
    path.write_text(yaml.safe_dump(raw))
    proc = run_mmm("fit", str(path), "--if-changed")
    assert proc.returncode == 2 and "nope.csv: data file not found" in proc.stderr


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


def test_conflict_report_for_half_student_t():
    bounds = Bounds(dist="HalfStudentT", lower=0, upper=5)
    dist, params, achieved = solve_bounds(bounds)
    priors = PriorSet({"s": ResolvedPrior("s", dist, params, "bounds", "", "s", bounds, achieved)})
    post = xr.Dataset({"s": (("chain", "draw"), np.full((2, 50), 2.0))})
    table = prior_conflict(priors, post)
    assert np.isfinite(table.loc[0, "prior_sd"]) and table.loc[0, "flag"] == "ok"


def _with_dates(tmp_path, dates) -> object:
    frame = pd.read_csv(SAMPLE / "weekly.csv")
    frame["date"] = dates(frame)
    frame.to_csv(tmp_path / "d.csv", index=False)
    path = write_config(tmp_path)
    raw = yaml.safe_load(path.read_text())
    raw["data"]["path"] = str(tmp_path / "d.csv")
    path.write_text(yaml.safe_dump(raw))
    return load_config(path)


def test_timezone_dates_are_accepted(tmp_path):
    cfg = _with_dates(tmp_path, lambda f: f["date"] + "T00:00:00+00:00")
    data = load_data(cfg)
    assert data.dates.tz is None and data.freq == "W-MON"


def test_numeric_date_column_refused(tmp_path):
    cfg = _with_dates(tmp_path, lambda f: np.arange(len(f)))
    with pytest.raises(DataError, match="holds numbers, not dates"):
        load_data(cfg)


def test_fixed_number_coefficient(tmp_path):
    path = write_config(tmp_path)
    raw = yaml.safe_load(path.read_text())
    raw["channels"]["radio"]["coefficient"] = 150
    path.write_text(yaml.safe_dump(raw))
    _, priors, _ = prepare(load_config(path))
    assert priors["radio_coef"].is_fixed and priors["radio_coef"].value == 150


def test_uncomputable_r_hat_fails_the_gate():
    summary = pd.DataFrame({"r_hat": [np.nan], "ess_bulk": [1000.0], "ess_tail": [1000.0]})
    idata = {"sample_stats": xr.Dataset({"diverging": (("chain", "draw"), np.zeros((1, 10)))})}
    diag = diagnose(summary, idata, Checks())
    assert diag["passed"] is False and "r_hat" in diag["failed"]


def test_check_refuses_unwritable_runs_folder(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    path = write_config(tmp_path)
    raw = yaml.safe_load(path.read_text())
    raw["output"] = {"dir": str(blocker / "runs")}
    path.write_text(yaml.safe_dump(raw))
    proc = run_mmm("check", str(path))
    assert proc.returncode == 2 and "cannot write the runs folder" in proc.stderr


def test_init_sanitises_name(tmp_path):
    proc = run_mmm("init", str(tmp_path / "_proj"))
    assert proc.returncode == 0, proc.stderr
    assert load_config(tmp_path / "_proj" / "mmm.yaml").name == "proj"
