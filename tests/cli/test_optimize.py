"""``mmm optimize`` on a real run folder: outputs, exit codes, and nothing half-written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import example_config, invoke, run_dirs

ALLOCATION_COLUMNS = [
    "channel",
    "recent_spend",
    "recommended_spend",
    "change",
    "change_pct",
    "baseline_spend",
    "lower_bound",
    "upper_bound",
    "response_mean",
    "response_hdi_low",
    "response_hdi_high",
    "baseline_response_mean",
    "mcpa_mean",
    "mcpa_hdi_low",
    "mcpa_hdi_high",
]


@pytest.fixture
def run(quick_run, tmp_path):
    """A copy of the session's quick run in its own runs folder (optimize writes beside it)."""
    _, source = quick_run
    target = tmp_path / "runs" / "example" / source.name
    shutil.copytree(source, target)
    return target


def test_writes_an_allocation_folder_beside_the_run(run):
    result = invoke(
        "optimize", run, "--periods", "13", "--budget", "300000", "--allow-failed", "--json"
    )
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    folder = run.parent / out["run_dir"].rsplit("/", 1)[-1]
    assert folder.name.startswith("optimize-") and folder.parent == run.parent
    for name in ("allocation.csv", "optimize.json", "plots/allocation.png"):
        assert (folder / name).is_file(), name
    table = pd.read_csv(folder / "allocation.csv")
    assert list(table.columns) == ALLOCATION_COLUMNS
    assert table["recommended_spend"].sum() == pytest.approx(300_000)
    saved = json.loads((folder / "optimize.json").read_text())
    assert saved["source_run"] == str(run.resolve())
    assert saved["request"]["budget"] == 300_000 and saved["request"]["periods"] == 13
    assert 0 <= saved["gain_probability_positive"] <= 1
    assert saved["gain_hdi_low"] <= saved["gain_mean"] <= saved["gain_hdi_high"]
    assert out["first_period"] == "2025-12-29"  # the week after the data's last row


def test_a_run_that_was_not_checked_needs_allow_failed(run):
    result = invoke("optimize", run, "--periods", "13")
    assert result.exit_code == 2
    assert "--allow-failed" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert [p for p in run_dirs(run.parent) if p.name.startswith("optimize-")] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--periods", "13", "--budget", "1000", "--spend-bounds", "tv=5000:"], "lower bound"),
        (["--periods", "13", "--bounds", "print=0.5:1.5"], "bounds.print: unknown channel"),
        (["--periods", "13", "--bounds", "tv=2:1"], "lower 2 is above upper 1"),
        (["--periods", "13", "--bounds", "tv"], "expected CHANNEL=LOWER:UPPER"),
        (["--periods", "0"], "--periods"),
        (["--budget", "1000"], "--periods is required"),
        (["--periods", "13", "--quantile", "1.5"], "--quantile"),
    ],
)
def test_bad_requests_exit_2_with_one_line_and_write_nothing(run, args, message):
    result = invoke("optimize", run, *args, "--allow-failed")
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not [p for p in run.parent.iterdir() if "optimize" in p.name]


def test_a_run_without_response_model_is_refused(run):
    (run / "response.nc").unlink()
    result = invoke("optimize", run, "--periods", "4", "--allow-failed")
    assert result.exit_code == 2 and "predates response curves" in result.stderr


@pytest.mark.sampling
def test_config_block_allocates_after_the_fit_and_is_optimize_s_default(tmp_path):
    """``optimize:`` in the config: the run folder holds the allocation (here a --quick fit, so
    only because the block allows unchecked fits), and ``mmm optimize RUN`` reuses the block."""
    config = example_config(
        tmp_path,
        optimize={
            "periods": 8,
            "budget": 200000,
            "bounds": {"tv": [0.5, 1.5]},
            "allow_failed": True,
        },
    )
    fitted = invoke("fit", config, "--quick", "--json")
    assert fitted.exit_code == 0, fitted.stderr
    run = Path(json.loads(fitted.stdout)["run_dir"])
    assert "Allocation of 200,000 over 8 periods" in fitted.stderr
    table = pd.read_csv(run / "allocation.csv").set_index("channel")
    assert table["recommended_spend"].sum() == pytest.approx(200_000)
    recent = table.loc["tv", "recent_spend"]
    assert 0.5 * recent - 1e-6 <= table.loc["tv", "recommended_spend"] <= 1.5 * recent + 1e-6
    assert (run / "plots" / "allocation.png").is_file()
    again = invoke("optimize", run, "--json")
    assert again.exit_code == 0, again.stderr
    out = json.loads(again.stdout)
    assert out["periods"] == 8 and out["budget"] == 200_000
    shares = [r["recommended_spend"] for r in out["allocation"]]
    assert shares == pytest.approx(table["recommended_spend"].tolist(), rel=1e-6)


def test_a_damaged_response_model_is_exit_2(run):
    (run / "response.nc").write_bytes(b"not netcdf")
    result = invoke("optimize", run, "--periods", "4", "--allow-failed")
    assert result.exit_code == 2 and "damaged or not written by mmm" in result.stderr


def test_a_bad_optimize_block_is_refused_before_sampling(tmp_path):
    config = example_config(
        tmp_path, optimize={"periods": 8, "budget": 1000, "spend_bounds": {"tv": [5000, None]}}
    )
    result = invoke("check", config)
    assert result.exit_code == 2
    assert "optimize.spend_bounds.tv: its lower bound" in result.stderr


def test_options_override_the_config_block_channel_by_channel():
    from mmmcli.workflows.optimize import _request

    block = {
        "periods": 8,
        "budget": 1000.0,
        "bounds": {"tv": [0.5, 1.5]},
        "spend_bounds": {"search": [1.0, 2.0]},
    }
    none = {"budget": None, "periods": None, "pattern": None, "quantile": None}
    r = _request(block, **none, bounds={"search": (0.5, None)}, spend_bounds=None)
    assert r.bounds == {"tv": (0.5, 1.5), "search": (0.5, None)} and r.spend_bounds == {}
    assert r.budget == 1000.0
    r = _request(block, **{**none, "periods": 13}, bounds=None, spend_bounds=None)
    assert r.periods == 13 and r.budget is None  # the block's budget was for 8 periods
    r = _request(block, **{**none, "periods": 13, "budget": 5.0}, bounds=None, spend_bounds=None)
    assert r.budget == 5.0
