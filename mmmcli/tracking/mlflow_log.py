"""Log a finished run folder to MLflow: params, metrics, tags and the folder as artifacts.

Like the report, this reads only the run folder, so a run can be logged when it is made
(``tracking:`` in the config, ``mmm fit --mlflow URI``) or later (``mmm track RUN``), and a run
logged twice is found by its tag instead of being duplicated.

- **params**: ``config.resolved.yaml`` flattened to dotted keys (``channels.tv.adstock.max_lag``),
  lists by index; values longer than MLflow's limit are cut with a marker.
- **metrics**: every number of ``metrics.json`` (``in_sample.r2``, ``loo.elpd_loo``, ...), the
  convergence figures (``diagnostics.max_r_hat``), the timings (``seconds.sample``), each
  channel's row of ``channels.csv`` (``tv/cpa_mean``, ``tv/mcpa_hdi_low``, ...) and the
  allocation's gain when the run has one (``allocation.gain_mean``).
- **tags**: ``mmm.status``, ``mmm.exit_code``, ``mmm.fingerprint``, ``mmm.run`` (name/run id,
  the key that finds a run already logged), paths and hashes of the inputs, the tool's version,
  the config repository's commit (``mlflow.source.git.commit``, ``mmm.git_dirty``), and how
  many times the run was sampled (``mmm.attempts``, ``mmm.retried``; ``mmm.retry``: what the
  retry of a near miss did, in words).
- **artifacts**: the whole run folder (report, tables, plots, trace).

Failure never leaves half a run behind: a run whose logging fails part-way is deleted from the
tracking store, and the error is raised as ``TrackingError`` for the caller to report (``mmm fit``
warns and keeps its exit code). HTTP retries are bounded (``MLFLOW_HTTP_REQUEST_MAX_RETRIES``,
``MLFLOW_HTTP_REQUEST_TIMEOUT``; set them to override), so a server that is down costs seconds,
not MLflow's default minutes of back-off.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..analysis.notices import retry_line
from ..errors import TrackingError, UsageError
from ..spec.config import without_credentials

PARAM_LIMIT = 6000  # characters of a param value MLflow accepts
BATCH = {"params": 100, "metrics": 1000, "tags": 100}  # MLflow's limits per log_batch call
HTTP_DEFAULTS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1", "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}
RUN_TAG = "mmm.run"
# MLflow error codes that a later try may not meet (no code: the store was not reached)
TEMPORARY_CODES = (None, "INTERNAL_ERROR", "TEMPORARILY_UNAVAILABLE", "REQUEST_LIMIT_EXCEEDED")
INSTALL = "pip install 'mmmcli[mlflow]'"


@dataclass(frozen=True)
class TrackedRun:
    run_id: str
    experiment_id: str
    experiment: str
    uri: str
    already: bool = False  # the run folder had been logged before: nothing new was written

    @property
    def url(self) -> str | None:
        """The run's page when the store is a server."""
        if not self.uri.startswith(("http://", "https://")):
            return None
        return f"{self.uri.rstrip('/')}/#/experiments/{self.experiment_id}/runs/{self.run_id}"

    def to_json(self) -> dict:
        return {
            "mlflow": {
                "run_id": self.run_id,
                "experiment_id": self.experiment_id,
                "experiment": self.experiment,
                "uri": self.uri,
                "url": self.url,
                "already_logged": self.already,
            }
        }


def available() -> bool:
    try:
        import mlflow  # noqa: F401
    except ImportError:
        return False
    return True


def log_run(run: Path, uri: str, experiment: str) -> TrackedRun:
    """Log run folder ``run`` to the MLflow store at ``uri`` under ``experiment``.

    The ``mmm.run`` tag that marks the run as logged is the last thing written: a run cut off
    part-way (a signal, a kill) is never taken for a logged one, and is deleted when this
    process still can.
    """
    if not available():
        raise UsageError(f"MLflow tracking needs the mlflow package: {INSTALL}")
    content = _read(run)
    shown = without_credentials(uri)
    with _quiet_mlflow(uri):
        from mlflow.entities import Metric, Param, RunStatus, RunTag
        from mlflow.tracking import MlflowClient

        try:
            client = MlflowClient(tracking_uri=uri)
            experiment_id = _experiment(client, experiment, uri)
            found = client.search_runs(
                [experiment_id],
                filter_string=f"tags.`{RUN_TAG}` = '{content['key']}'",
                max_results=1,
            )
        except Exception as exc:  # noqa: BLE001 - any failure of the store: reported, not fatal
            raise _error(shown, exc) from None
        if found:
            return TrackedRun(found[0].info.run_id, experiment_id, experiment, shown, already=True)

        run_id = None
        try:
            created = client.create_run(
                experiment_id, start_time=content["start_ms"], run_name=content["run_name"]
            )
            run_id = created.info.run_id
            stamp = content["end_ms"] or content["start_ms"] or 0
            params = [Param(k, v) for k, v in content["params"].items()]
            metrics = [Metric(k, v, stamp, 0) for k, v in content["metrics"].items()]
            tags = [RunTag(k, v) for k, v in content["tags"].items()]
            for chunk in _chunks(params, BATCH["params"]):
                client.log_batch(run_id, params=chunk)
            for chunk in _chunks(metrics, BATCH["metrics"]):
                client.log_batch(run_id, metrics=chunk)
            for chunk in _chunks(tags, BATCH["tags"]):
                client.log_batch(run_id, tags=chunk)
            client.log_artifacts(run_id, str(run))
            status = "FAILED" if content["tags"]["mmm.status"] == "failed" else "FINISHED"
            client.set_terminated(
                run_id, status=RunStatus.to_string(getattr(RunStatus, status)),
                end_time=content["end_ms"],
            )  # fmt: skip
            client.set_tag(run_id, RUN_TAG, content["key"])  # complete: now it counts as logged
        except BaseException as exc:  # a signal too: no half-logged run left when we can help it
            if run_id is not None:
                with suppress(Exception):  # the store may be failing already
                    client.delete_run(run_id)
            if not isinstance(exc, Exception):
                raise
            raise _error(shown, exc) from None
    return TrackedRun(str(run_id), experiment_id, experiment, shown)


def _error(shown: str, exc: Exception) -> TrackingError:
    """A store's failure as one line; ``permanent`` when trying again cannot help (the store
    answered and refused: a deleted experiment, a bad value), not for a store unreachable."""
    text = str(exc).strip()
    first = text.splitlines()[0][:300] if text else type(exc).__name__
    code = getattr(exc, "error_code", None)
    if any(s in text for s in ("Connection refused", "NewConnectionError", "Name or service")):
        first = "cannot connect to the tracking server (is it running?)"
    elif "timed out" in text or "Timeout" in type(exc).__name__:
        first = "the tracking server did not answer in time"
    elif "too many" in text and "error responses" in text:
        first = "the tracking server answered with errors (HTTP 5xx); see its log"
    temporary = code in TEMPORARY_CODES
    return TrackingError(
        without_credentials(f"MLflow at {shown}: {first}"), permanent=not temporary
    )


# --- what is logged ------------------------------------------------------------------------------


def _read(run: Path) -> dict[str, Any]:
    def load(name: str, parse: Any) -> Any:
        path = run / name
        if not path.is_file():
            return None
        try:
            return parse(path)
        except (OSError, ValueError, yaml.YAMLError) as exc:
            why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise UsageError(f"{path}: cannot be read for tracking ({why})") from None

    manifest = load("manifest.json", lambda p: json.loads(p.read_text(encoding="utf-8")))
    if not isinstance(manifest, dict):
        raise UsageError(f"{run}: not a run folder (no manifest.json)")
    config = load("config.resolved.yaml", lambda p: yaml.safe_load(p.read_text("utf-8"))) or {}
    metrics = load("metrics.json", lambda p: json.loads(p.read_text(encoding="utf-8"))) or {}
    diag = load("diagnostics.json", lambda p: json.loads(p.read_text(encoding="utf-8"))) or {}
    channels = load("channels.csv", pd.read_csv)
    allocation = load("optimize.json", lambda p: json.loads(p.read_text(encoding="utf-8")))
    name = str(config.get("name") or run.parent.name)
    run_id = Path(str(manifest.get("run_dir") or run)).name

    numbers: dict[str, float] = {}
    _numbers(numbers, "", metrics)
    for key in ("max_r_hat", "min_ess_bulk", "min_ess_tail", "divergences"):
        _numbers(numbers, f"diagnostics.{key}", diag.get(key))
    _numbers(numbers, "diagnostics.gradient_evaluations", diag.get("gradient_evaluations"))
    _numbers(numbers, "seconds", manifest.get("timings_seconds"))
    if channels is not None and "channel" in channels:
        for row in channels.to_dict(orient="records"):
            for col, value in row.items():
                if col != "channel":
                    _numbers(numbers, f"{row['channel']}/{col}", value)
    if isinstance(allocation, dict):
        for key in ("gain_mean", "gain_hdi_low", "gain_hdi_high", "gain_probability_positive"):
            _numbers(numbers, f"allocation.{key}", allocation.get(key))

    params: dict[str, str] = {}
    _flatten(params, "", config)
    inputs = manifest.get("config") or {}
    data = manifest.get("data") or {}
    git = inputs.get("git") or {}
    refresh = manifest.get("refresh") or {}
    tags = {
        "mmm.status": str(manifest.get("status")),
        "mmm.exit_code": str(manifest.get("exit_code")),
        "mmm.fingerprint": str(manifest.get("fingerprint")),
        "mmm.run_folder": str(manifest.get("run_dir") or run),
        "mmm.config": str(inputs.get("path")),
        "mmm.config_sha256": str(inputs.get("sha256")),
        "mmm.data": str(data.get("path")),
        "mmm.data_sha256": str(data.get("sha256")),
        "mmm.version": str((manifest.get("versions") or {}).get("mmmcli")),
        "mmm.command": " ".join(str(c) for c in manifest.get("command") or []),
    }
    attempts = manifest.get("attempts") or []
    if attempts:  # runs from before the retry policy have no record of their attempts
        tags["mmm.attempts"] = str(len(attempts))
        tags["mmm.retried"] = str(len(attempts) > 1).lower()
        retried = retry_line(attempts)
        if retried:
            tags["mmm.retry"] = retried
    if refresh.get("from"):
        tags["mmm.refreshed_from"] = str(refresh["from"])
    if git:
        tags["mlflow.source.git.commit"] = str(git.get("commit"))
        tags["mmm.git_commit"] = str(git.get("commit"))
        tags["mmm.git_dirty"] = str(bool(git.get("dirty"))).lower()
        tags["mmm.git_root"] = str(git.get("root"))
    return {
        "key": f"{name}/{run_id}",
        "run_name": f"{name} {run_id}",
        "start_ms": _ms(manifest.get("started_at")),
        "end_ms": _ms(manifest.get("finished_at")),
        "params": params,
        "metrics": numbers,
        "tags": tags,
    }


def _numbers(out: dict[str, float], prefix: str, value: Any) -> None:
    """Finite numbers of a nested dict, keyed by their dotted path (booleans are not metrics)."""
    if isinstance(value, dict):
        for k, v in value.items():
            _numbers(out, f"{prefix}.{k}" if prefix else str(k), v)
    elif (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    ):
        out[prefix] = float(value)


def _flatten(out: dict[str, str], prefix: str, value: Any) -> None:
    if isinstance(value, dict) and value:
        for k, v in value.items():
            _flatten(out, f"{prefix}.{k}" if prefix else str(k), v)
    elif isinstance(value, list) and value and any(isinstance(v, dict | list) for v in value):
        for i, v in enumerate(value):
            _flatten(out, f"{prefix}.{i}", v)
    elif prefix:
        text = value if isinstance(value, str) else json.dumps(value)
        if len(text) > PARAM_LIMIT:
            text = text[: PARAM_LIMIT - 20] + " ... (cut by mmm)"
        out[prefix] = text


def _ms(stamp: Any) -> int | None:
    try:
        return int(datetime.fromisoformat(str(stamp)).timestamp() * 1000)
    except ValueError:
        return None


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _experiment(client: Any, name: str, uri: str) -> str:
    """The experiment's id, created when missing (a local SQLite store keeps its artifacts in
    ``mlartifacts/`` beside the database file, not in the working directory of the cron job)."""
    found = client.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    location = None
    if uri.startswith("sqlite:///"):
        location = (Path(uri[len("sqlite:///") :]).parent / "mlartifacts" / name).as_uri()
    try:
        return str(client.create_experiment(name, artifact_location=location))
    except Exception:  # created meanwhile by another process (a batch of fits)
        found = client.get_experiment_by_name(name)
        if found is None:
            raise
        return str(found.experiment_id)


@contextmanager
def _quiet_mlflow(uri: str) -> Iterator[None]:
    """MLflow's INFO chatter and deprecation warnings off, HTTP retries bounded, and the file
    store allowed when the user asked for a folder (MLflow 3 refuses it unless told)."""
    saved: dict[str, str | None] = {
        k: os.environ.get(k) for k in [*HTTP_DEFAULTS, "MLFLOW_ALLOW_FILE_STORE"]
    }
    for key, value in HTTP_DEFAULTS.items():
        os.environ.setdefault(key, value)
    if uri.startswith("file:"):
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    loggers = [logging.getLogger(n) for n in ("mlflow", "alembic", "urllib3")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:  # MLflow writes "View run ..." to stdout: it would break `--json` on stdout
        with warnings.catch_warnings(), redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
        for key, before in saved.items():
            if before is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = before
