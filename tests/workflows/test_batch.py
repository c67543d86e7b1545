"""``mmm fit CONFIG...`` for real: a folder of configs, one of them bad and one locked, fitted
by the local pool and by a Dask ``LocalCluster`` (worker processes) started here; a worker killed
mid-fit is retried once and leaves no temporary folder behind.

Each fit is a ``--quick`` fit of the sample data in its own process (a few seconds with the
compile cache warm).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from mmmcli.runs.folder import RunLock
from tests.helpers import EXAMPLE, ROOT, SAMPLE, invoke, run_dirs

pytestmark = pytest.mark.sampling


def _configs(folder: Path, names: list[str]) -> Path:
    """``folder/configs/<name>.yaml``: the example config under each name, runs in folder/runs."""
    configs = folder / "configs"
    configs.mkdir(parents=True)
    for name in names:
        raw = yaml.safe_load(EXAMPLE.read_text())
        raw["name"] = name
        raw["data"]["path"] = str(SAMPLE / "weekly.csv")
        raw["output"] = {"dir": str(folder / "runs")}
        (configs / f"{name}.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    bad = yaml.safe_load(EXAMPLE.read_text())
    bad["name"] = "bad"
    bad["data"]["path"] = str(folder / "missing.csv")
    (configs / "bad.yaml").write_text(yaml.safe_dump(bad, sort_keys=False))
    return configs


def _by_name(out: dict) -> dict[str, dict]:
    return {Path(c["config"]).stem: c for c in out["configs"]}


def _no_temporaries(runs: Path) -> None:
    left = [p for p in runs.rglob(".tmp-*")] + [p for p in runs.rglob(".latest-*")]
    assert left == [], left


def test_local_batch_fits_each_config_on_its_own(tmp_path):
    configs = _configs(tmp_path, ["one", "two", "held"])
    with RunLock(tmp_path / "runs" / "held", "held"):  # another fit of `held` is running
        result = invoke("fit", configs, "--quick", "--json")
    assert result.exit_code == 2, result.stderr  # worst of 0, 0, 2 (bad), 75 (locked)
    out = json.loads(result.stdout)
    assert out["batch"] is True and out["jobs"] == min(os.cpu_count() or 1, 4)
    items = _by_name(out)
    assert {k: v["exit_code"] for k, v in items.items()} == {
        "one": 0, "two": 0, "bad": 2, "held": 75,
    }  # fmt: skip
    assert items["bad"]["status"] == "error" and "missing.csv" in items["bad"]["error"]
    assert items["held"]["status"] == "locked" and "in progress" in items["held"]["error"]
    for name in ("one", "two"):
        (run,) = run_dirs(tmp_path / "runs" / name)
        assert items[name]["run_dir"] == str(run) and (run / "report.html").is_file()
        assert items[name]["headline"]["r2"] is not None
    assert run_dirs(tmp_path / "runs" / "held") == []
    said = " ".join(result.stderr.split())
    assert "4 configs in" in said and "exit 2 (the most severe" in said
    # the cron line again: unchanged configs are skipped, the one that was locked now fits
    again = invoke("fit", configs / "one.yaml", configs / "held.yaml", "--quick", "--if-changed")
    assert again.exit_code == 0, again.stderr
    assert "unchanged, not refitted" in " ".join(again.stderr.split())
    assert len(run_dirs(tmp_path / "runs" / "held")) == 1
    assert len(run_dirs(tmp_path / "runs" / "one")) == 1
    _no_temporaries(tmp_path / "runs")
    # --quiet (cron): nothing but what went wrong
    quiet = invoke(
        "fit", configs / "bad.yaml", configs / "one.yaml", "--quick", "--if-changed", "-q"
    )
    assert quiet.exit_code == 2
    said = " ".join(quiet.stderr.split())
    assert "missing.csv" in said and "one.yaml" not in said


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.parametrize("where", ["local", "dask"])
def test_sigterm_stops_the_batch_and_its_fits(where, tmp_path, request):
    configs = _configs(tmp_path, ["first", "second"])
    (configs / "bad.yaml").unlink()
    extra = ["--jobs", "1"]
    if where == "dask":
        extra = ["--scheduler", request.getfixturevalue("cluster").scheduler_address]
    proc = _start_batch(configs, *extra)
    try:
        fit = _fit_pid(tmp_path / "runs" / "first" / ".lock")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 143, err
    result = json.loads(out)  # still the batch's object, with what each config did
    assert result["exit_code"] == 143
    assert {c["status"] for c in result["configs"]} <= {"interrupted"}
    deadline = time.monotonic() + 30
    while _alive(fit) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(fit)  # the fit stopped too, and left no run
    assert run_dirs(tmp_path / "runs" / "first") == []
    assert run_dirs(tmp_path / "runs" / "second") == []
    _no_temporaries(tmp_path / "runs")


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
    import dask

    # a task whose worker died is run again once, then KilledWorker (mmm also counts attempts)
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
    yield cluster
    cluster.close()


def test_dask_batch_runs_on_the_workers(cluster, tmp_path):
    configs = _configs(tmp_path, ["one", "held"])
    unreadable = tmp_path / "elsewhere.yaml"  # a config no worker can read
    unreadable.write_text((configs / "one.yaml").read_text().replace("name: one", "name: gone"))
    unreadable.chmod(0)
    with RunLock(tmp_path / "runs" / "held", "held"):
        result = invoke(
            "fit", configs, "--quick", "--json", "--scheduler", cluster.scheduler_address
        )
    assert result.exit_code == 2, result.stderr
    out = json.loads(result.stdout)
    assert out["scheduler"] == cluster.scheduler_address
    items = _by_name(out)
    assert {k: v["exit_code"] for k, v in items.items()} == {"one": 0, "bad": 2, "held": 75}
    workers = set(cluster.scheduler_info["workers"]) if hasattr(cluster, "scheduler_info") else None
    for item in items.values():
        assert item["where"].startswith("tcp://127.0.0.1:") and item["attempts"] == 1
        if workers:
            assert item["where"] in workers
    (run,) = run_dirs(tmp_path / "runs" / "one")
    assert items["one"]["run_dir"] == str(run)
    _no_temporaries(tmp_path / "runs")
    if os.geteuid() != 0:  # root reads anything: only then is the refusal observable
        result = invoke("fit", unreadable, unreadable, "--scheduler", cluster.scheduler_address)
        assert "cannot be read on worker" in " ".join(result.stderr.split())


def _start_batch(configs: Path, *extra: str) -> subprocess.Popen:
    """``mmm fit CONFIGS --quick --json`` in its own process, each fit long enough (4,000
    draws) for the test to act while it samples."""
    return subprocess.Popen(
        [
            sys.executable, "-m", "mmmcli", "fit", str(configs), "--quick", "--draws", "4000",
            "--json", "--quiet", *extra,
        ],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _fit_pid(lock: Path, timeout: float = 120) -> int:
    """The pid a running fit wrote into its config's lock file."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = lock.read_text() if lock.is_file() else ""
        if text.startswith("pid "):
            return int(text.split()[1].rstrip(","))
        time.sleep(0.05)
    raise AssertionError(f"no fit took {lock}")


def _parent(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def test_worker_killed_mid_fit_is_retried_once(cluster, tmp_path):
    configs = _configs(tmp_path, ["long"])
    (configs / "bad.yaml").unlink()
    proc = _start_batch(configs, "--scheduler", cluster.scheduler_address)
    try:
        fit = _fit_pid(tmp_path / "runs" / "long" / ".lock")
        worker = _parent(fit)
        os.kill(worker, signal.SIGKILL)  # the worker dies; its fit gets SIGTERM and follows
        out, err = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    (item,) = json.loads(out)["configs"]
    assert item["attempts"] == 2 and item["exit_code"] == 0 and item["where"] is not None
    assert len(run_dirs(tmp_path / "runs" / "long")) == 1  # one run, from the second attempt
    _no_temporaries(tmp_path / "runs")


def test_worker_lost_twice_is_reported_failed(cluster, tmp_path):
    configs = _configs(tmp_path, ["doomed"])
    (configs / "bad.yaml").unlink()
    lock = tmp_path / "runs" / "doomed" / ".lock"
    proc = _start_batch(configs, "--scheduler", cluster.scheduler_address)
    try:
        first = _fit_pid(lock)
        os.kill(_parent(first), signal.SIGKILL)
        deadline = time.monotonic() + 120
        while (second := _fit_pid(lock)) == first and time.monotonic() < deadline:
            time.sleep(0.05)
        assert second != first  # the retry, on another worker process
        os.kill(_parent(second), signal.SIGKILL)
        out, err = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == 1, err
    (item,) = json.loads(out)["configs"]
    assert item["status"] == "lost" and item["exit_code"] == 1
    assert "worker lost" in item["error"]
    assert run_dirs(tmp_path / "runs" / "doomed") == []
    _no_temporaries(tmp_path / "runs")
