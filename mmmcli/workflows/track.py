"""``mmm track RUN``: log a finished run folder to MLflow, e.g. one whose tracker was down when
it was fitted. The destination: ``--mlflow``, else the run's own ``tracking:`` (from its
``config.resolved.yaml``), else ``$MLFLOW_TRACKING_URI``. A run already logged there is found by
its ``mmm.run`` tag and not logged twice."""

from __future__ import annotations

from pathlib import Path

import yaml

from ..analysis.compare import resolve_run
from ..errors import UsageError
from ..spec.config import resolve_tracking_uri
from ..tracking import ENV_URI, TrackedRun, env_uri, log_run


def track(run: Path, *, mlflow: str | None = None, experiment: str | None = None) -> TrackedRun:
    folder = resolve_run(run)
    config = _resolved_config(folder)
    configured = ((config.get("tracking") or {}).get("mlflow")) or {}
    if mlflow is not None:
        uri = resolve_tracking_uri(mlflow, Path.cwd()) if mlflow.strip() else ""
    else:
        uri = configured.get("uri") or env_uri() or ""
    if not uri:
        raise UsageError(
            f"{folder}: where to? give --mlflow URI (the run's config has no tracking.mlflow.uri "
            f"and ${ENV_URI} is not set)"
        )
    name = experiment or configured.get("experiment") or config.get("name") or folder.parent.name
    return log_run(folder, uri, str(name))


def _resolved_config(folder: Path) -> dict:
    path = folder / "config.resolved.yaml"
    if not path.is_file():
        return {}
    try:
        found = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UsageError(f"{path}: cannot be read ({exc})") from None
    return found if isinstance(found, dict) else {}
