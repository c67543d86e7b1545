"""Output files of a run folder: which files a fit writes, the CSV, JSON, YAML and NetCDF writers,
the manifest and the resolved config. Where and how the folder itself appears is ``folder.py``'s
job."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..analysis.results import Results
from ..decisions.allocate import Allocation
from ..decisions.fitted import Decisions
from ..inputs.data import ModelData
from ..jsonsafe import clean_json
from ..model.implied import prior_rows
from ..priors.resolve import PriorSet
from ..sampling.engines import SampleResult
from ..spec import names
from ..spec.config import Config, without_credentials
from .folder import RunFolder
from .plots import allocation_plot, response_curves_plot, write_plots

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


def write_fit_files(
    folder: Path,
    cfg: Config,
    data: ModelData,
    priors: PriorSet,
    sampled: SampleResult,
    summary: pd.DataFrame,
    diagnostics: dict,
    results: Results,
    conflicts: pd.DataFrame,
    decisions: Decisions | None = None,
) -> None:
    """Every file of a fit's run folder but the manifest (written last, with the timings)."""
    write_csv(folder / "priors.csv", pd.DataFrame(prior_rows(cfg, data, priors)))
    write_csv(folder / "posterior_summary.csv", summary.reset_index())
    write_csv(folder / "contributions.csv", results.contributions)
    write_csv(folder / "channels.csv", results.channels)
    write_csv(folder / "fit.csv", results.fit)
    if results.loo is not None:
        write_csv(folder / "loo.csv", results.loo)
    if results.calibration is not None:
        write_csv(folder / "calibration.csv", results.calibration)
    if results.coefficients is not None:
        write_csv(folder / "coefficients.csv", results.coefficients)
    write_csv(folder / "prior_conflict.csv", conflicts)
    write_json(folder / "metrics.json", results.metrics)
    write_json(folder / "diagnostics.json", diagnostics)
    write_yaml(
        folder / "config.resolved.yaml",
        resolved_config(cfg, data, priors, sampled.settings),
        header=f"# {cfg.name}: the config as fitted, defaults filled and bounds solved\n",
    )
    write_trace(folder / "trace.nc", sampled.idata)
    write_plots(cfg, results, folder / "plots")
    if decisions is not None:
        decisions.model.save(folder / "response.nc")
        write_csv(folder / "response_curves.csv", decisions.curves)
        response_curves_plot(
            cfg.name,
            cfg.target.column,
            decisions.curves,
            cfg.hdi_prob,
            folder / "plots" / "response_curves.png",
        )
        if decisions.allocation is not None and decisions.request is not None:
            write_allocation(
                folder, decisions.allocation, decisions.request.model_dump(), None, cfg.name
            )


def write_allocation(
    folder: Path, allocation: Allocation, request: dict, source: Path | None, title: str
) -> None:
    """``allocation.csv``, ``optimize.json`` and ``plots/allocation.png`` of a recommendation
    (``source``: the run it was computed from, when that is another folder)."""
    write_csv(folder / "allocation.csv", allocation.table)
    prob = allocation.summary["hdi_prob"]
    write_json(
        folder / "optimize.json",
        {
            "request": request,
            "source_run": str(source) if source is not None else None,
            **allocation.summary,
            "warnings": allocation.warnings,
        },
    )
    (folder / "plots").mkdir(exist_ok=True)
    allocation_plot(title, allocation.table, prob, folder / "plots" / "allocation.png")


def write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(clean_json(obj), indent=2, allow_nan=False) + "\n", encoding="utf-8")


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    frame.to_csv(path, index=False, float_format="%.10g")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for lib in LIBRARIES:
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            out[lib] = "not installed"
    return out


def config_git(path: Path) -> dict | None:
    """The git commit of the repository holding the config, and whether the config differs from
    it (``dirty``); None outside a repository or without git. Provenance only: not part of the
    ``--if-changed`` fingerprint (a commit elsewhere in the repository changes nothing here)."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(path.parent), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return done.stdout.strip()

    try:
        commit = git("rev-parse", "--verify", "HEAD")
        root = git("rev-parse", "--show-toplevel")
        dirty = bool(git("status", "--porcelain", "--", path.name))
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": dirty, "root": root}


def manifest(
    cfg: Config,
    data: ModelData,
    settings: dict,
    timings: dict,
    status: str,
    exit_code: int,
    run: RunFolder,
    inputs: dict,
    warnings: list[str] | None = None,
    attempts: list[dict] | None = None,
) -> dict:
    """Provenance of a run: versions, inputs' hashes, settings, timings and outcome, the
    warnings said about its inputs before sampling (the report shows them again), and each
    attempt at sampling it (``analysis.nearmiss.attempt_record``; two after a retried near
    miss, whose written trace and ``settings`` are the last attempt's)."""
    config_path = inputs["config"]["path"]
    return {
        "tool": "mmm",
        "versions": versions(),
        "platform": platform.platform(),
        "command": [without_credentials(a) for a in sys.argv],
        "cwd": os.getcwd(),
        "config": {
            "path": inputs["config"]["path"],
            "sha256": inputs["config"]["sha256"],
            "git": config_git(Path(config_path)) if config_path else None,
        },
        "data": {
            **inputs["data"],
            "rows": data.n,
            "fitted_rows": data.n_train,
            "start": str(data.dates[0].date()),
            "end": str(data.dates[-1].date()),
        },
        "calibration": inputs["calibration"],
        "fingerprint": inputs["fingerprint"],
        "overrides": inputs["overrides"],
        "refresh": inputs.get("refresh"),
        "seed": settings.get("seed"),
        "engine": settings.get("engine"),
        "sampler": settings,
        "timings_seconds": {k: round(v, 3) for k, v in timings.items()},
        "status": status,
        "exit_code": exit_code,
        "started_at": run.started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "run_dir": str(run.final),
        "warnings": list(warnings or []),
        "attempts": list(attempts or []),
    }


def resolved_config(cfg: Config, data: ModelData, priors: PriorSet, settings: dict) -> dict:
    """The config with every default filled in and every bounded prior solved.

    It validates as a config of its own (paths are absolute), so a run can be repeated from its
    folder alone.
    """

    def prior(name: str) -> dict[str, Any] | float | None:
        return priors[name].to_yaml() if name in priors else None

    channels = {}
    for j, (name, ch) in enumerate(cfg.channels.items()):
        blocks: dict[str, dict] = {
            "adstock": {"type": ch.adstock.type, "max_lag": ch.adstock.max_lag},
            "saturation": {"type": ch.saturation.type},
        }
        for block, _, p in ch.transform_params():
            blocks[block][p.name] = prior(names.transform_param(name, p.name))
        coef = names.coefficient(name)
        coefficient: Any = prior(coef)
        if names.grw_sigma(coef) in priors:
            coefficient = {
                **(coefficient or {}),
                "time_varying": {"type": "grw", "sigma": prior(names.grw_sigma(coef))},
            }
        returns = {
            key: prior(var)
            for key, var in (("roas", names.roas(name)), ("cpa", names.cpa(name)))
            if var in priors
        }
        channels[name] = {
            "spend": ch.spend,
            **blocks,
            **({"coefficient": coefficient} if coefficient is not None else {}),
            **returns,
            "spend_scale": float(f"{data.spend_scale[j]:.10g}"),
        }
    target = {
        "column": cfg.target.column,
        "kind": cfg.target.kind,
        "likelihood": cfg.target.likelihood,
        "sigma": prior(names.SIGMA),
    }
    if names.NU in priors:
        target["nu"] = prior(names.NU)
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
            n: {"column": c.column, "coefficient": prior(names.coefficient(n))}
            for n, c in cfg.controls.items()
        },
        "seasonality": {"yearly_fourier_order": cfg.seasonality.yearly_fourier_order},
        "trend": {"type": cfg.trend.type},
        "intercept": prior(names.INTERCEPT),
        "sampler": {k: v for k, v in settings.items() if k in cfg.sampler.model_fields},
        "checks": cfg.checks.model_dump(),
        "holdout": cfg.holdout.model_dump(),
        "hdi_prob": cfg.hdi_prob,
        "media_share": cfg.media_share.model_dump(),
        "output": {"dir": str(cfg.resolve(cfg.output.dir))},
    }
    if names.grw_sigma(names.INTERCEPT) in priors:
        out["intercept"] = {
            **(out["intercept"] or {}),
            "time_varying": {"type": "grw", "sigma": prior(names.grw_sigma(names.INTERCEPT))},
        }
    if cfg.calibration:
        out["calibration"] = []
        for i, source in enumerate(cfg.calibration):
            item = {"path": str(cfg.resolve(source.path))}
            if source.channel is not None:
                item["channel"] = source.channel
            item["method"] = source.method
            noise = priors.get(names.uplift_sigma(source.channel)) if source.channel else None
            if noise is not None and noise.key == f"calibration.{i}.sigma":
                item["sigma"] = noise.to_yaml()
            out["calibration"].append(item)
    if cfg.optimize is not None:
        out["optimize"] = cfg.optimize.model_dump()
    if cfg.refresh is not None:
        out["refresh"] = cfg.refresh.model_dump(by_alias=True)
        parent = priors.refresh["from"] if priors.refresh else cfg.resolve(cfg.refresh.source)
        out["refresh"]["from"] = str(parent)  # the exact run, not the link that moves on
    if cfg.tracking is not None and cfg.tracking.mlflow is not None:
        m = cfg.tracking.mlflow
        uri = m.resolved_uri(cfg.base_dir)
        out["tracking"] = {  # never a password: those go in MLFLOW_TRACKING_PASSWORD
            "mlflow": {"uri": without_credentials(uri) if uri else None, "experiment": m.experiment}
        }
    if names.SEASONALITY_COEF in priors:
        out["seasonality"]["coefficient"] = prior(names.SEASONALITY_COEF)
    if names.TREND_SLOPE in priors:
        out["trend"]["slope"] = prior(names.TREND_SLOPE)
    return out


def write_yaml(path: Path, obj: dict, header: str = "") -> None:
    text = yaml.safe_dump(clean_json(obj), sort_keys=False, default_flow_style=None, width=100)
    path.write_text(header + text, encoding="utf-8")


def write_trace(path: Path, idata: Any) -> None:
    """The posterior and sampler statistics as NetCDF (reload with ``arviz.from_netcdf``)."""
    tree = idata.copy()
    for group in list(tree.children):
        ds = tree[group].to_dataset()
        drop = [v for v in ds.data_vars if ds[v].dtype == object]
        if drop:
            tree[group] = tree[group].to_dataset().drop_vars(drop)
    tree.to_netcdf(path, engine="h5netcdf")
