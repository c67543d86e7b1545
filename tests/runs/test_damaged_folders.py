"""Damaged runs folders: the run folders, ``latest`` and the exit code never disagree.

``latest`` as a user's file, folder or link elsewhere is refused before sampling (and again at
the commit, for one that appears while sampling); a dangling ``latest`` of the tool's own is
replaced; temporaries of dead runs are cleaned; a ``latest`` that cannot be replaced undoes the
run's rename; damaged run files make ``compare`` exit 2 naming the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import mmmcli.runs.folder as folder_module
from mmmcli.runs.folder import RunFolder, RunLock
from tests.analysis.test_compare import make_run
from tests.helpers import ReachedSampler, example_config, invoke, run_dirs, stop_at_sampler


def _parent(tmp_path: Path) -> Path:
    parent = tmp_path / "runs" / "example"
    parent.mkdir(parents=True)
    return parent


def _foreign_latest(parent: Path, kind: str, elsewhere: Path) -> Path:
    latest = parent / "latest"
    if kind == "file":
        latest.write_text("my notes")
    elif kind == "folder":
        latest.mkdir()
        (latest / "notes.txt").write_text("my notes")
    else:
        latest.symlink_to(elsewhere)
    return latest


@pytest.mark.parametrize("kind", ["file", "folder", "link elsewhere"])
def test_a_latest_that_is_not_the_tools_is_refused_before_sampling(tmp_path, monkeypatch, kind):
    config = example_config(tmp_path)
    latest = _foreign_latest(_parent(tmp_path), kind, tmp_path)
    check = invoke("check", config)
    assert check.exit_code == 2 and f"{latest}: is a" in check.stderr, check.stderr
    stop_at_sampler(monkeypatch)
    fit = invoke("fit", config, "--json")  # never reaches the sampler
    assert fit.exit_code == 2 and "latest" in json.loads(fit.stdout)["error"]
    assert os.path.lexists(latest)
    if kind == "file":
        assert latest.read_text() == "my notes"
    if kind == "folder":
        assert (latest / "notes.txt").read_text() == "my notes"


def test_a_dangling_latest_of_the_tools_own_is_accepted(tmp_path, monkeypatch):
    config = example_config(tmp_path)
    parent = _parent(tmp_path)
    (parent / "latest").symlink_to("20200101T000000.000000Z")  # its run was deleted
    assert invoke("check", config).exit_code == 0
    stop_at_sampler(monkeypatch)
    with pytest.raises(ReachedSampler):
        invoke("fit", config)
    compare = invoke("compare", parent, parent / "latest")
    assert compare.exit_code == 2 and "no 'latest' run" in compare.stderr


def test_commit_undoes_the_rename_when_latest_cannot_be_replaced(tmp_path, monkeypatch):
    parent = tmp_path / "runs"
    run = RunFolder(parent)
    (run.path / "manifest.json").write_text("{}")
    (parent / "latest").mkdir()  # appeared after every check: os.replace cannot put a link there
    monkeypatch.setattr(folder_module, "check_latest", lambda parent: None)
    with pytest.raises(OSError):
        run.commit(passed=True)
    assert not run.final.exists() and run.path.is_dir()  # back to a temporary folder
    assert not list(parent.glob(".latest-*"))
    run.discard()
    assert run_dirs(parent) == [] and not list(parent.glob(".tmp-*"))


def test_commit_refuses_a_latest_that_appeared_while_sampling(tmp_path):
    parent = tmp_path / "runs"
    run = RunFolder(parent)
    (parent / "latest").write_text("written by someone else meanwhile")
    with pytest.raises(folder_module.UsageError, match="latest: is a file"):
        run.commit(passed=True)
    assert not run.final.exists()
    assert (parent / "latest").read_text() == "written by someone else meanwhile"


def test_a_failed_run_commits_without_touching_latest(tmp_path):
    parent = tmp_path / "runs"
    (parent).mkdir()
    (parent / "latest").write_text("not ours, but a failed run does not need it")
    run = RunFolder(parent)
    assert run.commit(passed=False).is_dir()


def test_leftovers_of_dead_runs_are_removed_and_live_ones_kept(tmp_path):
    parent = tmp_path / "runs"
    dead = 2**22 + 12345  # above the default pid_max: no such process
    (parent / f".tmp-20240101T000000.000000Z-{dead}").mkdir(parents=True)
    (parent / f".latest-{dead}").symlink_to("20240101T000000.000000Z")
    (parent / f".tmp-optimize-20240101T000000.000000Z-{dead}").mkdir()
    # a fit's temporary with a pid that is alive here: a fit killed on another machine sharing
    # the folder (pids mean nothing across machines); only the lock's holder writes these
    (parent / f".tmp-20240102T000000.000000Z-{os.getpid()}").mkdir()
    live_side = parent / f".tmp-optimize-20240102T000000.000000Z-{os.getpid()}"
    live_side.mkdir()  # mmm optimize writes without the lock: kept while its process lives
    with RunLock(parent, "x"):
        pass
    left = sorted(p.name for p in parent.iterdir())
    assert left == [".lock", live_side.name]


@pytest.mark.parametrize(
    "damage",
    [
        ("manifest.json", b"{not json"),
        ("manifest.json", b"[1, 2]"),
        ("manifest.json", b"\xff\xfe\x00garbage"),
        ("metrics.json", b"nan nan"),
        ("channels.csv", b""),
        ("channels.csv", b"\x00\x01\x02\xff"),
        ("channels.csv", b"channel,share_mean\ntv,0.5\n"),
        (
            "channels.csv",
            b"channel,spend,contribution_mean,contribution_hdi_low,"
            b"contribution_hdi_high,share_mean,cpa_mean,cpa_hdi_low,cpa_hdi_high\n"
            b"tv,1,abc,1,1,1,1,1,1\n",
        ),
        ("contributions.csv", b"date,component\n2024-01-01,tv\n"),
        ("contributions.csv", b'"unterminated\n'),
    ],
    ids=[
        "manifest-syntax",
        "manifest-list",
        "manifest-bytes",
        "metrics-syntax",
        "channels-empty",
        "channels-bytes",
        "channels-columns",
        "channels-non-numeric",
        "contributions-columns",
        "contributions-quote",
    ],
)
def test_damaged_run_files_make_compare_exit_2_naming_the_file(tmp_path, damage):
    name, content = damage
    run, base = make_run(tmp_path / "run"), make_run(tmp_path / "base")
    (run / name).write_bytes(content)
    result = invoke("compare", run, base, "--json")
    assert result.exit_code == 2, result.stderr
    assert name in json.loads(result.stdout)["error"]


@pytest.mark.parametrize("target", ["missing", "file", "empty folder", "dangling latest"])
def test_compare_on_odd_paths_exits_2(tmp_path, target):
    base = make_run(tmp_path / "base")
    path = tmp_path / "odd"
    if target == "file":
        path.write_text("x")
    elif target == "empty folder":
        path.mkdir()
    elif target == "dangling latest":
        path.mkdir()
        (path / "latest").symlink_to("20200101T000000.000000Z")
    result = invoke("compare", path, base)
    assert result.exit_code == 2 and result.stderr.startswith("error: "), result.stderr


@pytest.mark.parametrize("rtol", ["nan", "inf", "-0.1", "0"])
def test_compare_refuses_a_tolerance_that_is_not_a_positive_number(tmp_path, rtol):
    run, base = make_run(tmp_path / "run"), make_run(tmp_path / "base")
    result = invoke("compare", run, base, "--rtol", rtol)
    assert result.exit_code == 2 and "--rtol" in result.stderr


def test_prior_and_init_on_odd_paths_exit_2(tmp_path):
    config = example_config(tmp_path)
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    assert invoke("prior", config, "--out", blocker).exit_code == 2
    assert invoke("prior", config, "--draws", "0").exit_code == 2
    assert invoke("init", blocker).exit_code == 2
    assert invoke("init", blocker / "inside").exit_code == 2
    assert blocker.read_text() == ""
