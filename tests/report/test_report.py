"""``report.html``: written with every run (failed ones too), self-contained, rebuilt by
``mmm report`` from the run folder alone, and opened in a real browser.

One session-scoped set of short real fits of ``configs/calibrated.yaml`` into one runs folder:
two that pass a relaxed gate (so the second compares itself with the first) and one that fails
the strict gate, then a recommendation made from the last passing run with ``mmm optimize``.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from markupsafe import escape

from tests.helpers import CALIBRATED, invoke, run_dirs
from tests.report.browser import check_report, why_not

pytestmark = pytest.mark.sampling

RELAXED = {"max_r_hat": 1.1, "min_ess_bulk": 40, "max_divergences": 10}


def _config(folder: Path) -> Path:
    raw = yaml.safe_load(CALIBRATED.read_text())
    raw["data"]["path"] = str(CALIBRATED.parent / raw["data"]["path"])
    for source in raw["calibration"]:
        source["path"] = str(CALIBRATED.parent / source["path"])
    raw["output"] = {"dir": str(folder / "runs")}
    raw["sampler"] = {**raw["sampler"], "chains": 2, "draws": 150, "tune": 200}
    raw["checks"] = RELAXED
    path = folder / "calibrated.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("report")
    config = _config(folder)
    out: dict[str, Path] = {}
    for label, args, code in (
        ("first", ["--seed", "1"], 0),
        ("second", ["--seed", "2"], 0),
        ("failed", ["--draws", "15", "--tune", "15"], 3),
    ):
        before = set(run_dirs(folder / "runs" / "calibrated"))
        result = invoke("fit", config, *args)
        assert result.exit_code == code, result.stderr
        (made,) = set(run_dirs(folder / "runs" / "calibrated")) - before
        out[label] = made
    return out


def _html(run: Path) -> str:
    return (run / "report.html").read_text(encoding="utf-8")


def test_every_run_has_a_self_contained_report(runs):
    for run in runs.values():
        html = _html(run)
        # nothing from elsewhere: no script, stylesheet, font or image by URL
        assert "<script" not in html and "<link" not in html
        assert not re.search(r"""(src|href)=["']?(https?:|//)""", html)
        assert "@import" not in html and "url(" not in html
        sources = re.findall(r'<img src="([^"]+)"', html)
        assert len(sources) >= 4  # efficiency, fit, contributions, response curves
        for src in sources:
            assert src.startswith("data:image/png;base64,")
            assert base64.b64decode(src.split(",", 1)[1]).startswith(b"\x89PNG")


def test_report_tables_match_the_run_files(runs):
    run = runs["second"]
    html = _html(run)
    channels = pd.read_csv(run / "channels.csv")
    table = html.split('id="channel-table"')[1].split("</table>")[0]
    assert table.count('<tr class="channel">') == len(channels)
    for name in channels["channel"]:
        assert f"<td>{name}" in table
    assert "calibrated: likelihood" in table and "calibrated: lift_test" in table
    assert "marginal CPA" in table
    calibration = pd.read_csv(run / "calibration.csv")
    rows = html.split('id="calibration-table"')[1].split("</table>")[0].count("<tr")
    assert rows == len(calibration) + 1  # and the header
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["timings_seconds"]["report"] < 5
    assert str(escape(shlex.join(manifest["command"]))) in html  # the process's argv
    for library in ("pymc", "nutpie", "arviz"):
        assert f"{library} {manifest['versions'][library]}" in html


def test_second_run_says_what_changed_since_the_first(runs):
    html = _html(runs["second"])
    changes = html.split('id="changes"')[1].split("</section>")[0]
    assert f"Against <b>{runs['first'].name}</b>" in changes
    assert re.search(r"\d+ quantities compared", changes)
    first = _html(runs["first"]).split('id="changes"')[1].split("</section>")[0]
    assert "no run of this config passed its checks before this one" in first


def test_failed_run_report_puts_the_failure_first(runs):
    html = _html(runs["failed"])
    assert 'class="badge failed"' in html
    failure = html.index('id="failure"')
    assert failure < html.index('id="changes"') < html.index('id="channels"')
    box = html[failure:].split("</section>")[0]
    assert "failed its convergence checks" in box
    assert "r_hat" in box or "ESS bulk" in box
    assert "What to do" in box
    # compared with the newest passing run before it
    assert f"Against <b>{runs['second'].name}</b>" in html


def test_mmm_report_rebuilds_the_same_page_from_the_folder(runs, tmp_path):
    run = runs["second"]
    original = _html(run)
    copy = tmp_path / "elsewhere" / run.parent.name / run.name
    shutil.copytree(run.parent, copy.parent, symlinks=True)
    (copy / "report.html").unlink()
    result = invoke("report", copy, "--json")
    assert result.exit_code == 0, result.stderr
    info = json.loads(result.stdout)
    assert Path(info["report"]) == copy / "report.html" and info["bytes"] > 0
    # byte for byte: the page depends on the run folder and its neighbours only
    assert (copy / "report.html").read_text(encoding="utf-8") == original
    # a runs folder means its latest passing run; --out a folder writes report.html in it
    result = invoke("report", copy.parent, "--out", tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "Report:" in result.stderr and (tmp_path / "report.html").is_file()


def test_report_shows_an_allocation_made_later(runs, tmp_path):
    run = tmp_path / "calibrated" / runs["second"].name
    shutil.copytree(runs["second"], run)
    result = invoke("optimize", run, "--periods", "8")
    assert result.exit_code == 0, result.stderr
    assert 'id="allocation"' not in _html(run)
    assert invoke("report", run).exit_code == 0
    html = _html(run)
    table = html.split('id="allocation"')[1].split("</table>")[0]
    assert table.count("<tr>") == 1 + len(pd.read_csv(run / "channels.csv"))
    assert "optimize-" in html and "P(gain &gt; 0)" in html


def test_report_refuses_what_is_not_a_run(runs, tmp_path):
    result = invoke("report", tmp_path)
    assert result.exit_code == 2
    assert "not a run folder" in " ".join(result.stderr.split())
    damaged = tmp_path / "damaged"
    shutil.copytree(runs["first"], damaged)
    (damaged / "metrics.json").write_text("{not json")
    result = invoke("report", damaged)
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert "metrics.json" in message and "cannot be read" in message
    assert (damaged / "report.html").read_text() == _html(runs["first"])  # untouched


def test_report_in_a_real_browser(runs, tmp_path):
    missing = why_not()
    if missing:  # CI installs Chromium and says so: there a missing browser is a failure
        if os.environ.get("MMM_REQUIRE_BROWSER"):
            pytest.fail(f"MMM_REQUIRE_BROWSER is set but {missing}")
        pytest.skip(missing)
    run = runs["second"]
    shot = tmp_path / "report.png"
    check = check_report(run / "report.html", shot)
    assert check.status == "passed"
    assert check.images >= 4 and check.broken_images == []
    assert check.console_errors == [] and check.page_errors == []
    assert check.blocked_requests == []
    assert check.channel_rows == len(pd.read_csv(run / "channels.csv"))
    assert check.width_overflow <= 0  # nothing cut off at a laptop's width
    assert shot.stat().st_size > 50_000
    assert check.printed_bytes > 50_000 and not check.nav_printed  # it prints, without links
    narrow = check_report(runs["failed"] / "report.html", width=420)
    assert narrow.status == "failed" and narrow.broken_images == []
    assert narrow.console_errors == [] and narrow.page_errors == []
    print(f"screenshot: {shot}")
