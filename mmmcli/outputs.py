"""The run folder: every output file, written into a temporary folder and renamed into place.

``<dir>/<name>/<UTC timestamp>/`` appears only when complete; ``<dir>/<name>/latest`` points at
the newest run that passed its checks.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import shutil
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .config import Config
from .data import ModelData
from .priors import PriorSet
from .transforms import ADSTOCKS, SATURATIONS

TIMESTAMP = "%Y%m%dT%H%M%S.%fZ"
LIBRARIES = (
    "mmmcli",
    "pymc",
    "pytensor",
    "arviz",
    "nutpie",
    "numpy",
    "pandas",
    "scipy",
    "xarray",
    "pydantic",
    "numba",
)


class RunFolder:
    """A run folder under construction: write into ``.path``, then ``commit()`` it."""

    def __init__(self, root: Path, name: str):
        self.started = datetime.now(UTC)
        self.parent = root / name
        self.final = self.parent / self.started.strftime(TIMESTAMP)
        self.path = self.parent / f".tmp-{self.final.name}-{os.getpid()}"
        self.path.mkdir(parents=True)

    def commit(self, passed: bool) -> Path:
        """Move the finished folder into place; point ``latest`` at it when it passed."""
        os.replace(self.path, self.final)
        if passed:
            link = self.parent / "latest"
            tmp = self.parent / f".latest-{os.getpid()}"
            if tmp.is_symlink() or tmp.exists():
                tmp.unlink()
            tmp.symlink_to(self.final.name)
            os.replace(tmp, link)
        return self.final

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(_clean(obj), indent=2, allow_nan=False) + "\n", encoding="utf-8")


def _clean(obj):
    """JSON-safe: numpy scalars to Python, NaN/inf to null."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    frame.to_csv(path, index=False, float_format="%.10g")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for lib in LIBRARIES:
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            out[lib] = "not installed"
    return out


def manifest(
    cfg: Config,
    data: ModelData,
    settings: dict,
    timings: dict,
    status: str,
    exit_code: int,
    run: RunFolder,
) -> dict:
    """Provenance of a run: versions, inputs' hashes, settings, timings and outcome."""
    config_path = cfg.source
    return {
        "tool": "mmm",
        "versions": versions(),
        "platform": platform.platform(),
        "command": sys.argv,
        "cwd": os.getcwd(),
        "config": {
            "path": str(config_path) if config_path else None,
            "sha256": sha256(config_path) if config_path else None,
        },
        "data": {
            "path": str(data.path),
            "sha256": sha256(data.path),
            "rows": data.n,
            "fitted_rows": data.n_train,
            "start": str(data.dates[0].date()),
            "end": str(data.dates[-1].date()),
        },
        "seed": settings.get("seed"),
        "engine": settings.get("engine"),
        "sampler": settings,
        "timings_seconds": {k: round(v, 3) for k, v in timings.items()},
        "status": status,
        "exit_code": exit_code,
        "started_at": run.started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "run_dir": str(run.final),
    }


def resolved_config(cfg: Config, data: ModelData, priors: PriorSet, settings: dict) -> dict:
    """The config with every default filled in and every bounded prior solved.

    It validates as a config of its own (paths are absolute), so a run can be repeated from its
    folder alone.
    """

    def prior(name):
        return priors[name].to_yaml() if name in priors else None

    channels = {}
    for j, (name, ch) in enumerate(cfg.channels.items()):
        blocks = {}
        for block in ("adstock", "saturation"):
            spec = getattr(ch, block)
            out = {"type": spec.type}
            if block == "adstock":
                out["max_lag"] = spec.max_lag
            registry = ADSTOCKS if block == "adstock" else SATURATIONS
            for p in registry[spec.type].params:
                out[p.name] = prior(f"{name}_{p.name}")
            blocks[block] = out
        channels[name] = {
            "spend": ch.spend,
            **blocks,
            "coefficient": prior(f"{name}_coef"),
            "spend_scale": float(f"{data.spend_scale[j]:.10g}"),
        }
    target = {
        "column": cfg.target.column,
        "kind": cfg.target.kind,
        "likelihood": cfg.target.likelihood,
        "sigma": prior("sigma"),
    }
    if "nu" in priors:
        target["nu"] = prior("nu")
    out = {
        "name": cfg.name,
        "data": {
            "path": str(data.path.resolve()),
            "date_column": cfg.data.date_column,
            "frequency": data.freq,
        },
        "target": target,
        "channels": channels,
        "controls": {
            n: {"column": c.column, "coefficient": prior(f"{n}_coef")}
            for n, c in cfg.controls.items()
        },
        "seasonality": {"yearly_fourier_order": cfg.seasonality.yearly_fourier_order},
        "trend": {"type": cfg.trend.type},
        "intercept": prior("intercept"),
        "sampler": {k: v for k, v in settings.items() if k in cfg.sampler.model_fields},
        "checks": cfg.checks.model_dump(),
        "holdout": cfg.holdout.model_dump(),
        "hdi_prob": cfg.hdi_prob,
        "output": {"dir": str(cfg.resolve(cfg.output.dir))},
    }
    if cfg.calibration:
        out["calibration"] = []
        for i, source in enumerate(cfg.calibration):
            item = {"path": str(cfg.resolve(source.path))}
            if source.channel is not None:
                item["channel"] = source.channel
            item["method"] = source.method
            noise = priors.get(f"{source.channel}_uplift_sigma")
            if noise is not None and noise.key == f"calibration.{i}.sigma":
                item["sigma"] = noise.to_yaml()
            out["calibration"].append(item)
    if "seasonality_coef" in priors:
        out["seasonality"]["coefficient"] = prior("seasonality_coef")
    if "trend_slope" in priors:
        out["trend"]["slope"] = prior("trend_slope")
    return out


def write_yaml(path: Path, obj: dict, header: str = "") -> None:
    text = yaml.safe_dump(_clean(obj), sort_keys=False, default_flow_style=None, width=100)
    path.write_text(header + text, encoding="utf-8")


def write_trace(path: Path, idata) -> None:
    """The posterior and sampler statistics as NetCDF (reload with ``arviz.from_netcdf``)."""
    tree = idata.copy()
    for group in list(tree.children):
        ds = tree[group].to_dataset()
        drop = [v for v in ds.data_vars if ds[v].dtype == object]
        if drop:
            tree[group] = tree[group].to_dataset().drop_vars(drop)
    tree.to_netcdf(path, engine="h5netcdf")
