"""Where a fit's runs are tracked: checked before sampling, URIs made absolute (no sampler)."""

from __future__ import annotations

from pathlib import Path

import pytest

import mmmcli.tracking as tracking
from mmmcli.errors import UsageError
from mmmcli.spec.config import load_config, resolve_tracking_uri
from tests.helpers import example_config, invoke


def test_uris_are_made_absolute_against_their_base(tmp_path):
    base = tmp_path / "project"
    assert resolve_tracking_uri("mlruns", base) == (base / "mlruns").as_uri()
    assert resolve_tracking_uri("/srv/mlruns", base) == "file:///srv/mlruns"
    assert resolve_tracking_uri("sqlite:///mlflow.db", base) == f"sqlite:///{base}/mlflow.db"
    assert resolve_tracking_uri("sqlite:////abs/m.db", base) == "sqlite:////abs/m.db"
    for uri in ("http://127.0.0.1:5000", "https://mlflow.example/x", "databricks", "file:///x"):
        assert resolve_tracking_uri(uri, base) == uri


def _cfg(tmp_path: Path, tracking_block: dict | None):
    extra = {"tracking": tracking_block} if tracking_block is not None else {}
    return load_config(example_config(tmp_path, **extra))


def test_destination_from_config_option_or_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert tracking.destination(_cfg(tmp_path, None)) is None
    cfg = _cfg(tmp_path, {"mlflow": {"uri": "mlruns", "experiment": "weekly"}})
    assert tracking.destination(cfg) == ((tmp_path / "mlruns").as_uri(), "weekly")
    # --mlflow wins, relative to the working directory; the experiment stays the config's
    monkeypatch.chdir(tmp_path / "runs" if (tmp_path / "runs").is_dir() else tmp_path)
    uri, experiment = tracking.destination(cfg, "sqlite:///t.db")
    assert uri == f"sqlite:///{Path.cwd() / 't.db'}" and experiment == "weekly"
    # no uri in the block: the environment's; neither: refused before sampling
    cfg = _cfg(tmp_path, {"mlflow": {}})
    with pytest.raises(UsageError, match=r"tracking.mlflow.uri: not given and \$MLFLOW"):
        tracking.destination(cfg)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert tracking.destination(cfg) == ("http://127.0.0.1:5000", "example")
    with pytest.raises(UsageError, match="--mlflow: give a tracking URI"):
        tracking.destination(cfg, " ")


def test_missing_mlflow_is_said_before_sampling(tmp_path, monkeypatch):
    monkeypatch.setattr(tracking, "available", lambda: False)
    path = example_config(tmp_path, tracking={"mlflow": {"uri": "mlruns"}})
    result = invoke("check", path)
    assert result.exit_code == 2
    assert "pip install 'mmmcli[mlflow]'" in " ".join(result.stderr.split())
    result = invoke("fit", example_config(tmp_path), "--mlflow", "mlruns")
    assert result.exit_code == 2
    assert "--mlflow: MLflow tracking needs the mlflow package" in " ".join(result.stderr.split())
    assert not (tmp_path / "runs").exists()


def test_check_names_the_destination(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    path = example_config(tmp_path, tracking={"mlflow": {"uri": "sqlite:///mlflow.db"}})
    result = invoke("check", path)
    assert result.exit_code == 0, result.stderr
    said = "".join(result.stderr.split())  # rich wraps long paths anywhere
    assert f"experiment'example'atsqlite:///{tmp_path}/mlflow.db" in said
    result = invoke("check", example_config(tmp_path, tracking={"mlflow": {"uri": 3}}))
    assert result.exit_code == 2 and "tracking.mlflow.uri" in result.stderr
