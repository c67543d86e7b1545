"""Runs logged to real MLflow stores: a local file store, a SQLite store, and a local
``mlflow server`` started here; a tracker that is down or fails part-way never costs a fit and
never leaves half a run in the store.

Uses the session's quick fit (``quick_run``) for what needs a run folder, and one cron-style
``mmm fit --if-changed`` in its own process against the server.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

pytest.importorskip("mlflow", reason="the mlflow extra is not installed (pip install -e '.[dev]')")

from mlflow.tracking import MlflowClient  # noqa: E402

from mmmcli.errors import TrackingError  # noqa: E402
from mmmcli.interrupts import Interrupted  # noqa: E402
from mmmcli.tracking import log_run  # noqa: E402
from tests.helpers import example_config, invoke, run_dirs, run_mmm  # noqa: E402

pytestmark = pytest.mark.sampling


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _client(uri: str) -> MlflowClient:
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    return MlflowClient(tracking_uri=uri)


def _runs(uri: str, experiment: str) -> list:
    client = _client(uri)
    found = client.get_experiment_by_name(experiment)
    return [] if found is None else client.search_runs([found.experiment_id])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``mlflow server`` on a free loopback port, SQLite backend, artifacts served."""
    root = tmp_path_factory.mktemp("mlflow-server")
    port = _free_port()
    log = (root / "server.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "mlflow", "server",
            "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
            "--artifacts-destination", str(root / "artifacts"),
            "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        ],
        cwd=root, stdout=subprocess.DEVNULL, stderr=log,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"mlflow server did not start: {(root / 'server.log').read_text()[-2000:]}")
        time.sleep(0.5)
    yield url, root
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


def test_file_store_gets_params_metrics_tags_and_the_folder(quick_run, tmp_path):
    _, run = quick_run
    store = tmp_path / "mlruns"
    result = invoke("track", run, "--mlflow", store, "--json")
    assert result.exit_code == 0, result.stderr
    said = json.loads(result.stdout)["tracking"]["mlflow"]  # stdout is the JSON alone
    assert said["uri"] == store.as_uri() and said["already_logged"] is False
    (logged,) = _runs(store.as_uri(), "example")
    assert logged.info.run_id == said["run_id"] and logged.info.status == "FINISHED"
    config = yaml.safe_load((run / "config.resolved.yaml").read_text())
    params = logged.data.params
    assert params["name"] == "example"
    assert params["channels.tv.adstock.max_lag"] == str(
        config["channels"]["tv"]["adstock"]["max_lag"]
    )
    assert params["sampler.draws"] == "200"
    metrics = logged.data.metrics
    for name in config["channels"]:
        assert f"{name}/cpa_mean" in metrics and f"{name}/mcpa_hdi_high" in metrics
    for key in ("in_sample.r2", "holdout.mape", "loo.elpd_loo", "diagnostics.max_r_hat",
                "media_share.mean", "seconds.sample"):  # fmt: skip
        assert key in metrics, key
    manifest = json.loads((run / "manifest.json").read_text())
    tags = logged.data.tags
    assert tags["mmm.status"] == "unchecked" and tags["mmm.fingerprint"] == manifest["fingerprint"]
    assert tags["mmm.run"] == f"example/{run.name}"
    git = manifest["config"]["git"]
    if git:  # a clone of the repository: the config's commit
        assert tags["mlflow.source.git.commit"] == git["commit"]
    artifacts = {a.path for a in _client(store.as_uri()).list_artifacts(logged.info.run_id)}
    assert {"report.html", "trace.nc", "channels.csv", "manifest.json", "plots"} <= artifacts
    # logged once: a second `mmm track` finds it by its tag
    again = invoke("track", run, "--mlflow", store, "--json")
    assert again.exit_code == 0
    assert json.loads(again.stdout)["tracking"]["mlflow"]["already_logged"] is True
    assert len(_runs(store.as_uri(), "example")) == 1


def test_sqlite_store_keeps_artifacts_beside_the_database(quick_run, tmp_path, monkeypatch):
    _, run = quick_run
    monkeypatch.chdir(tmp_path)
    (tmp_path / "db").mkdir()
    tracked = log_run(run, f"sqlite:///{tmp_path / 'db' / 'mlflow.db'}", "weekly")
    assert (tmp_path / "db" / "mlartifacts" / "weekly").is_dir()
    assert not (tmp_path / "mlruns").exists()  # not in the working directory
    (logged,) = _runs(f"sqlite:///{tmp_path / 'db' / 'mlflow.db'}", "weekly")
    assert logged.info.run_id == tracked.run_id


@pytest.mark.parametrize("failure", [OSError("disk full"), Interrupted(signal.SIGINT)])
def test_a_store_failing_part_way_leaves_no_half_run(quick_run, tmp_path, monkeypatch, failure):
    _, run = quick_run
    uri = (tmp_path / "mlruns").as_uri()

    def broken(self, *args, **kwargs):
        raise failure

    monkeypatch.setattr(MlflowClient, "log_artifacts", broken)
    expected = TrackingError if isinstance(failure, Exception) else Interrupted
    with pytest.raises(expected):
        log_run(run, uri, "example")
    assert _runs(uri, "example") == []  # the partial run was deleted
    monkeypatch.undo()
    assert log_run(run, uri, "example").already is False  # and logs whole later
    assert len(_runs(uri, "example")) == 1


def test_tracker_down_warns_and_the_fit_stands(tmp_path):
    dead = f"http://alice:s3cret@127.0.0.1:{_free_port()}"  # credentials never shown or stored
    t = time.monotonic()
    result = invoke("track", tmp_path, "--mlflow", dead)
    assert result.exit_code == 2  # not a run folder: bad input first
    config = example_config(tmp_path)
    result = invoke("fit", config, "--quick", "--if-changed", "--json", "--mlflow", dead)
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["status"] == "unchecked"
    assert "cannot connect to the tracking server" in out["tracking"]["mlflow"]["error"]
    said = " ".join(result.stderr.split())
    assert "warning: not tracked: MLflow at" in said and "mmm track" in said
    (made,) = run_dirs(tmp_path / "runs" / "example")
    assert (made / "report.html").is_file() and (made / "manifest.json").is_file()
    for text in (result.stdout, result.stderr, *(p.read_text() for p in made.glob("*.*ml"))):
        assert "s3cret" not in text
    assert "s3cret" not in (made / "manifest.json").read_text()
    result = invoke("track", made)  # the run's own destination, still down: exit 75
    assert result.exit_code == 75
    assert "cannot connect" in result.stderr
    assert time.monotonic() - t < 120  # retries are bounded
    # the next cron run finds nothing new to fit, and logs the run the tracker missed
    store = tmp_path / "mlruns"
    again = invoke("fit", config, "--quick", "--if-changed", "--json", "--mlflow", store)
    assert again.exit_code == 0, again.stderr
    out = json.loads(again.stdout)
    assert out["skipped"] is True and out["tracking"]["mlflow"]["already_logged"] is False
    (logged,) = _runs(store.as_uri(), "example")
    assert logged.data.tags["mmm.run_folder"] == str(made)


def test_cron_fit_if_changed_logs_to_a_server_once(server, tmp_path):
    url, root = server
    config = example_config(tmp_path, tracking={"mlflow": {"uri": url, "experiment": "weekly-mmm"}})
    first = run_mmm("fit", str(config), "--quick", "--if-changed", "--quiet", "--json")
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    tracked = out["tracking"]["mlflow"]
    assert tracked["url"].startswith(f"{url}/#/experiments/")
    (logged,) = _runs(url, "weekly-mmm")
    assert logged.info.run_id == tracked["run_id"]
    assert logged.data.tags["mmm.run_folder"] == out["run_dir"]
    assert logged.data.metrics["tv/cpa_mean"] == pytest.approx(out["channels"][0]["cpa_mean"])
    # the report came through the server's artifact store
    local = _client(url).download_artifacts(logged.info.run_id, "report.html", str(tmp_path))
    assert Path(local).read_text().startswith("<!DOCTYPE html>")
    # unchanged inputs: the cron job skips the fit and logs nothing new
    second = run_mmm("fit", str(config), "--quick", "--if-changed", "--quiet", "--json")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["skipped"] is True
    assert len(_runs(url, "weekly-mmm")) == 1
