"""The report's content from hand-made run folders (no sampler): what a run lacks leaves its
section out, the baseline is the newest earlier passing run, text is escaped, damage is named."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from mmmcli.errors import UsageError
from mmmcli.report import render_report, write_report
from mmmcli.report.content import num, pct, previous_passing

CHANNELS = pd.DataFrame(
    {
        "channel": ["tv", "search"],
        "spend": [1000.0, 500.0],
        "contribution_mean": [20.0, 10.0],
        "contribution_hdi_low": [15.0, 8.0],
        "contribution_hdi_high": [25.0, 12.0],
        "share_mean": [2 / 3, 1 / 3],
        "cpa_mean": [50.0, 50.0],
        "cpa_hdi_low": [40.0, 41.0],
        "cpa_hdi_high": [66.7, 62.5],
        "calibrated": ["none", "lift_test"],
    }
)


def _run(parent: Path, name: str, status: str = "passed", **manifest) -> Path:
    run = parent / name
    run.mkdir(parents=True)
    CHANNELS.to_csv(run / "channels.csv", index=False)
    record = {"status": status, "run_dir": str(run), "exit_code": 0, **manifest}
    (run / "manifest.json").write_text(json.dumps(record))
    return run


def test_figures_are_formatted_once():
    assert num(1234567.8) == "1,234,568"
    assert num(123.456) == "123"
    assert num(12.3456) == "12.3"
    assert num(0.012345) == "0.0123"
    assert num(None) == num(float("nan")) == "–"
    assert num(5.0) == "5"
    assert pct(0.1234) == "12.3%" and pct(None) == "–"


def test_a_bare_run_folder_renders_with_its_sections_left_out(tmp_path):
    run = _run(tmp_path / "runs", "20260101T000000.000000Z")
    html = render_report(run)
    assert html.count('<tr class="channel">') == 2
    assert "calibrated: lift_test" in html
    for section in ('id="calibration"', 'id="conflicts"', 'id="decisions"', "<img"):
        assert section not in html
    assert "No diagnostics.json" in html
    assert "no run of this config passed its checks before this one" in html


def test_baseline_is_the_newest_earlier_passing_run(tmp_path):
    parent = tmp_path / "runs"
    old = _run(parent, "20260101T000000.000000Z")
    _run(parent, "20260102T000000.000000Z", status="failed")
    passed = _run(parent, "20260103T000000.000000Z")
    _run(parent, "20260104T000000.000000Z", status="unchecked")
    broken = _run(parent, "20260105T000000.000000Z")
    (broken / "manifest.json").write_text("{")
    current = _run(parent, "20260106T000000.000000Z", status="failed")
    later = _run(parent, "20260107T000000.000000Z")
    assert previous_passing(current, current.name) == passed
    assert previous_passing(passed, passed.name) == old
    assert previous_passing(old, old.name) is None
    # a run being written (.tmp-<name>-<pid>) compares with runs before its final name
    assert previous_passing(parent / f".tmp-{later.name}-1", later.name) == passed


def test_text_from_the_run_is_escaped(tmp_path):
    run = _run(
        tmp_path / "runs",
        "20260101T000000.000000Z",
        command=["mmm", "fit", "<script>alert(1)</script>.yaml"],
        warnings=["a <b>bold</b> claim"],
    )
    html = render_report(run)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "a &lt;b&gt;bold&lt;/b&gt; claim" in html


def test_damage_is_named_and_nothing_is_written(tmp_path):
    run = _run(tmp_path / "runs", "20260101T000000.000000Z")
    (run / "plots").mkdir()
    (run / "plots" / "fit.png").write_bytes(b"GIF89a not a png")
    with pytest.raises(UsageError, match=r"plots/fit.png: not a PNG image"):
        write_report(run)
    assert not (run / "report.html").exists()
    (run / "plots" / "fit.png").unlink()
    pd.DataFrame({"x": [1]}).to_csv(run / "calibration.csv", index=False)
    with pytest.raises(UsageError):  # a calibration table without its columns
        write_report(run)
    assert not list(run.glob("*report*"))
    (run / "calibration.csv").unlink()
    (run / "channels.csv").unlink()
    with pytest.raises(UsageError, match="not a run folder"):
        write_report(run)


def test_missing_numbers_and_odd_targets(tmp_path):
    run = _run(tmp_path / "runs", "20260101T000000.000000Z", timings_seconds={"sample": None})
    metrics = {
        "loo": {"elpd_loo": -1.0, "se": 1.0, "p_loo": 2.0, "pareto_k_above": 1, "n": 10,
                "pareto_k_threshold": None, "pareto_k_max": None},
        "media_share": {"mean": 0.3, "hdi_low": None, "hdi_high": 0.4, "hdi_prob": None},
    }  # fmt: skip
    (run / "metrics.json").write_text(json.dumps(metrics))  # JSON's null: a NaN when written
    html = render_report(run)
    assert "ELPD-LOO" in html and "sample – s" in html
    # --out a link writes through it; --out something that is not a file is refused
    target = tmp_path / "page.html"
    target.write_text("old")
    link = tmp_path / "link.html"
    link.symlink_to(target)
    write_report(run, link)
    assert link.is_symlink() and target.read_text().startswith("<!DOCTYPE html>")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(UsageError, match="not a regular file"):
        write_report(run, fifo)


def test_credentials_never_leave_a_uri():
    from mmmcli.spec.config import without_credentials

    assert without_credentials("http://alice:s3cret@host:5000/x") == "http://host:5000/x"
    assert without_credentials("mmm fit c.yaml --mlflow https://tok@h") == (
        "mmm fit c.yaml --mlflow https://h"
    )
    assert without_credentials("sqlite:////a/b.db") == "sqlite:////a/b.db"
