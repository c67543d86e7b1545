"""Experiment tracking: a finished run folder logged to MLflow (the optional extra
``pip install 'mmmcli[mlflow]'``). ``destination`` says where a fit's runs go, checked before
sampling; ``log_run`` (in ``mlflow_log``) logs one run folder, reading nothing else."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import UsageError
from ..spec.config import Config, resolve_tracking_uri
from .mlflow_log import INSTALL, TrackedRun, available, log_run

__all__ = ["ENV_URI", "TrackedRun", "destination", "env_uri", "log_run"]

ENV_URI = "MLFLOW_TRACKING_URI"


def env_uri() -> str | None:
    """``$MLFLOW_TRACKING_URI``, a folder or SQLite file in it made absolute (cwd)."""
    value = os.environ.get(ENV_URI, "").strip()
    return resolve_tracking_uri(value, Path.cwd()) if value else None


def destination(cfg: Config, uri_option: str | None = None) -> tuple[str, str] | None:
    """(tracking URI, experiment) for ``cfg``'s fits, or None when nothing is tracked.

    ``--mlflow URI`` (relative to the working directory) wins over ``tracking.mlflow.uri``
    (relative to the config file), which wins over ``$MLFLOW_TRACKING_URI``; the experiment is
    ``tracking.mlflow.experiment`` or the config's name. A tracking request that cannot work
    (no URI anywhere, mlflow not installed) is a ``UsageError`` before anything is fitted.
    """
    configured = cfg.tracking.mlflow if cfg.tracking is not None else None
    if uri_option is None and configured is None:
        return None
    key = "--mlflow" if uri_option is not None else "tracking.mlflow"
    if uri_option is not None:
        if not uri_option.strip():
            raise UsageError(
                "--mlflow: give a tracking URI (http://host:5000, sqlite:///x.db, or a folder)"
            )
        uri: str | None = resolve_tracking_uri(uri_option, Path.cwd())
    else:
        assert configured is not None
        uri = configured.resolved_uri(cfg.base_dir) or env_uri()
    if not uri:
        raise UsageError(f"tracking.mlflow.uri: not given and ${ENV_URI} is not set")
    if not available():
        raise UsageError(f"{key}: MLflow tracking needs the mlflow package: {INSTALL}")
    experiment = (configured.experiment if configured else None) or cfg.name
    return uri, experiment
