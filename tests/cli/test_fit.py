"""`mmm fit`: bad input exits 2 with one line and writes nothing; checks, --json, --quiet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import (
    edit_config,
    example_config,
    invoke,
    run_dirs,
    run_mmm,
    with_calibration,
)

# ---------------------------------------------------------------- bad input: exit 2


def test_cli_bad_config_exits_2_and_writes_nothing(tmp_path):
    path = example_config(
        tmp_path,
        channels={
            "tv": {
                "spend": "tv_spend",
                "coefficient": {"bounds": {"dist": "HalfNormal", "lower": 3, "upper": 10}},
            }
        },
    )
    result = invoke("fit", path, "--quick")
    assert result.exit_code == 2
    lines = [ln for ln in result.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and "HalfNormal" in lines[0] and "52.2%" in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "runs").exists()


def test_cli_missing_config_exits_2(tmp_path):
    result = invoke("fit", tmp_path / "missing.yaml")
    assert result.exit_code == 2
    assert "not found" in result.stderr and "Traceback" not in result.stderr


def test_invalid_override_exits_2_naming_the_option(tmp_path):
    result = invoke("fit", example_config(tmp_path), "--draws", "5")
    assert result.exit_code == 2 and "--draws" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_data_file_exits_2_under_fit(tmp_path):
    path = edit_config(example_config(tmp_path), lambda raw: raw["data"].update(path="nope.csv"))
    result = invoke("fit", path, "--if-changed")
    assert result.exit_code == 2 and "nope.csv: CSV file not found" in result.stderr


def test_cli_bad_calibration_exits_2_before_sampling(twins, tmp_path):
    (tmp_path / "bad.csv").write_text("date,uplift,sigma\n2024-03-04,10,-2\n")
    path = with_calibration(twins["plain"], [{"channel": "a", "path": "bad.csv"}])
    result = invoke("fit", path, "--quick")
    assert result.exit_code == 2, result.stderr
    assert "bad.csv: line 2" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "runs").exists()


# ---------------------------------------------------------------- fits (sampling tier)


@pytest.mark.sampling
def test_failed_checks_write_everything_and_exit_3(tmp_path):
    """An impossible ESS threshold fails the gate: files written, marked failed, no `latest`."""
    path = example_config(tmp_path, checks={"min_ess_bulk": 1e9})
    result = invoke(
        "fit", path, "--engine", "pymc", "--chains", "2", "--draws", "100", "--tune", "100"
    )
    assert result.exit_code == 3, result.stderr
    assert "checks failed" in result.stderr
    runs = tmp_path / "runs" / "example"
    (run,) = [p for p in runs.iterdir() if not p.name.startswith(".")]
    assert (run / "trace.nc").is_file() and (run / "channels.csv").is_file()
    diag = json.loads((run / "diagnostics.json").read_text())
    assert diag["passed"] is False and diag["status"] == "failed" and "ess_bulk" in diag["failed"]
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["engine"] == "pymc" and manifest["exit_code"] == 3
    assert not (runs / "latest").exists()


def test_quick_run_says_checks_skipped(quick_run):
    proc, _ = quick_run
    assert "skipped" in proc.stderr
    assert proc.stdout.strip() == ""  # human output goes to stderr


@pytest.mark.sampling
def test_json_fit_if_changed_and_reproducible(tmp_path, quick_run):
    """--json result object; --if-changed skips; the same seed gives an identical summary.

    In its own processes: the summary must equal the session's quick run from another process.
    """
    path = example_config(tmp_path)
    args = ["fit", str(path), "--quick", "--json"]
    first = run_mmm(*args)
    assert first.returncode == 0, first.stderr
    result = json.loads(first.stdout)
    assert result["status"] == "unchecked" and result["skipped"] is False
    assert {c["channel"] for c in result["channels"]} == {"tv", "radio", "social", "search"}
    run_dir = Path(result["run_dir"])

    skipped = run_mmm(*args, "--if-changed")
    assert skipped.returncode == 0, skipped.stderr
    assert json.loads(skipped.stdout)["skipped"] is True
    assert "Unchanged" in skipped.stderr
    assert len(run_dirs(run_dir.parent)) == 1

    # the session's quick run: same config, data and seed, another process and folder
    _, other = quick_run
    assert (run_dir / "posterior_summary.csv").read_bytes() == (
        other / "posterior_summary.csv"
    ).read_bytes()


@pytest.mark.sampling
def test_quiet_prints_nothing_on_success(tmp_path):
    """In its own process, as cron runs it: nothing at all on stdout or stderr, including what
    the libraries print or warn (pytest would intercept warnings in this process)."""
    path = example_config(tmp_path)
    first = run_mmm("fit", str(path), "--quick", "--quiet")
    assert first.returncode == 0
    assert first.stderr.strip() == "" and first.stdout.strip() == ""


@pytest.mark.sampling
def test_failed_fit_says_why_and_what_to_do(tmp_path):
    """Too few draws for the ESS threshold: diagnostics.json, the --json result and stderr all
    carry the diagnosis, and its advice names the draws the threshold needs."""
    path = example_config(tmp_path, checks={"min_ess_bulk": 2000})
    result = invoke("fit", path, "--chains", "2", "--draws", "100", "--tune", "100", "--json")
    assert result.exit_code == 3, result.stderr
    outcome = json.loads(result.stdout)
    (run,) = run_dirs(tmp_path / "runs" / "example")
    diag = json.loads((run / "diagnostics.json").read_text())
    assert {"max_r_hat", "min_ess_bulk", "min_ess_tail", "divergences", "checks"} <= set(diag)
    found = diag["diagnosis"]
    assert set(found) >= {"worst_r_hat", "lowest_ess", "divergences", "advice"}
    assert found["lowest_ess"] and all(d["value"] < 2000 for d in found["lowest_ess"])
    assert found["lowest_ess"][0]["value"] == pytest.approx(diag["min_ess_bulk"])
    assert any("raise --draws to about" in line for line in found["advice"])
    assert outcome["advice"] == found["advice"] != []
    text = " ".join(result.stderr.split())  # rich wraps long lines
    assert "Why the checks failed:" in text and "What to do:" in text
    assert f"ESS bulk below 2000: {found['lowest_ess'][0]['parameter']}" in text
    for line in found["advice"]:
        assert " ".join(line.split()) in text
