"""``mmm optimize`` on a real run folder: outputs, exit codes, and nothing half-written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from mmmcli.errors import UsageError
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
        (
            ["--periods", "13", "--bounds", "tv=0.5:1.5", "--spend-bounds", "tv=10000:20000"],
            "channels with both --bounds and --spend-bounds: tv; give one kind per channel",
        ),
        (["--periods", "13", "--bounds", "tv=0.5:1.5", "--bounds", "tv=1:2"], "--bounds tv: given"),
        (["--periods", "13", "--spend-bounds", "tv=1:2", "--spend-bounds", "tv=:3"], "tv: given"),
        (["--periods", "13", "--bounds", "tv=-1:2"], "--bounds tv: -1 is not a finite value"),
        (["--periods", "13", "--budget", "1e308"], "more than the data can support: at most"),
        (["--periods", "13", "--budget", "1e12"], "more than the data can support: at most"),
        (["--periods", "13", "--budget", "inf"], "--budget"),
        (["--periods", "13", "--budget", "1e-300"], "too small to compute with: at least"),
        (["--periods", "13", "--quantile", "0.01"], "finer than the run's 400 posterior draws"),
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


# What a config's optimize: block refuses, as a block and as the same request on the command line.
REFUSED_BOTH_WAYS = [
    (
        {"bounds": {"tv": [0.5, 1.5]}, "spend_bounds": {"tv": [1e4, 2e4]}},
        ["--bounds", "tv=0.5:1.5", "--spend-bounds", "tv=10000:20000"],
    ),
    ({"bounds": {"tv": [2, 1]}}, ["--bounds", "tv=2:1"]),
    ({"spend_bounds": {"tv": [-1, None]}}, ["--spend-bounds", "tv=-1:"]),
    ({"bounds": {"print": [0.5, 1.5]}}, ["--bounds", "print=0.5:1.5"]),
    ({"budget": 0}, ["--budget", "0"]),
    ({"budget": 1e12}, ["--budget", "1e12"]),
    (
        {"budget": 1000, "spend_bounds": {"tv": [5000, None]}},
        ["--budget", "1000", "--spend-bounds", "tv=5000:"],
    ),
    (
        {
            "budget": 1000,
            "spend_bounds": {"tv": [0, 1], "radio": [0, 1], "social": [0, 1], "search": [0, 1]},
        },
        ["--budget", "1000"]
        + [f"--spend-bounds={c}=0:1" for c in ("tv", "radio", "social", "search")],
    ),
    ({"quantile": 1.5}, ["--quantile", "1.5"]),
    ({"periods": 400}, ["--periods", "400"]),
]


@pytest.mark.parametrize(("block", "args"), REFUSED_BOTH_WAYS)
def test_what_the_config_block_refuses_the_command_line_refuses(run, block, args):
    """Each request the ``optimize:`` block refuses (model and data checks, as ``mmm check``
    runs them) is refused on the command line too: exit 2, one line, nothing written; and where
    the block's rule is about bounds, in the block's own words."""
    from pydantic import ValidationError

    from mmmcli.decisions.allocate import limits
    from mmmcli.decisions.response import ResponseModel
    from mmmcli.spec.config import Optimize

    model = ResponseModel.load(run / "response.nc")
    with pytest.raises((ValidationError, UsageError)) as block_error:
        limits(model.channels, model.spend, Optimize.model_validate({"periods": 13, **block}))
    cli_args = args if "--periods" in args else ["--periods", "13", *args]
    result = invoke("optimize", run, *cli_args, "--allow-failed")
    assert result.exit_code == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not [p for p in run.parent.iterdir() if "optimize" in p.name]
    said = str(block_error.value)
    for rule in ("give one kind per channel", "is above upper", "is not a finite value"):
        if rule in said:
            assert rule in result.stderr


def test_every_option_is_recorded_and_a_quantile_plan_reports_its_quantile(run):
    """optimize.json's request holds every option given (--allow-failed included); a plan that
    maximised a quantile says that quantile for itself and the recent mix, on the console, in
    the JSON and in optimize.json, and the marginal column is spelled as fit spells it."""
    args = ["--periods", "13", "--budget", "300000", "--pattern", "recent", "--quantile", "0.25"]
    args += ["--bounds", "tv=0.5:1.5", "--spend-bounds", "search=1000:"]
    result = invoke("optimize", run, *args, "--allow-failed", "--json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    folder = next(p for p in run.parent.iterdir() if p.name.startswith("optimize-"))
    saved = json.loads((folder / "optimize.json").read_text())
    assert saved["request"] == {
        "budget": 300000.0,
        "periods": 13,
        "pattern": "recent",
        "quantile": 0.25,
        "bounds": {"tv": [0.5, 1.5]},
        "spend_bounds": {"search": [1000.0, None]},
        "allow_failed": True,
    }
    for said in (out, saved):
        assert said["quantile"] == 0.25
        assert said["response_quantile"] >= said["baseline_response_quantile"] - 1e-6
    shown = invoke("optimize", run, *args, "--allow-failed")
    assert shown.exit_code == 0, shown.stderr
    assert "Maximised: the 0.25 quantile of the response" in shown.stderr
    assert "mCPA" in shown.stderr and "MCPA" not in shown.stderr
    reported = invoke("report", run)
    assert reported.exit_code == 0, reported.stderr
    assert "Maximised: the 0.25 quantile of the response" in (run / "report.html").read_text()


def test_a_channel_without_recent_spend_shows_new_not_nan(run):
    """No spend on search in the last 13 periods: its change is a word, not ``+nan%``."""
    from mmmcli.decisions.response import ResponseModel

    model = ResponseModel.load(run / "response.nc")
    model.spend[-13:, model.index("search")] = 0.0
    (run / "response.nc").unlink()
    model.save(run / "response.nc")
    result = invoke("optimize", run, "--periods", "13", "--allow-failed")
    assert result.exit_code == 0, result.stderr
    assert "nan" not in result.stderr.lower()
    row = next(line for line in result.stderr.splitlines() if "search" in line)
    assert " new " in row or " none " in row
