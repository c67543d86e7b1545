"""``mmm validate``: rolling-origin cross-validation, the evidence that the model predicts.

Fold k of K fits the periods before its origin and is scored on the ``horizon`` periods after
it; origins step back from the end of the data by ``horizon`` each, so the last fold's test
window ends with the data and the training windows grow (expanding-window CV, as for any
forecast: never a future period in training). Every fold is a full fit with the config's
settings (its own data-scaled priors and spend scales, from its training rows only; experiments
after its training window are left out), scored like a holdout: MAPE, SMAPE, CRPS and the 50%
and 94% predictive interval coverage, plus each channel's contribution share and ROAS/CPA, so a
reader sees whether the story stays put as data arrive. Folds share the model's structure, so
after the first fold the compiled code comes from the cache.

Writes ``<dir>/<name>/validate-<timestamp>/`` (``folds.csv``, ``fold_channels.csv``,
``validate.json``, ``plots/validate.png``), complete or not at all.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pymc as pm
from rich.console import Console

from .. import interrupts
from ..analysis.diagnostics import diagnose, posterior_summary
from ..analysis.efficiency import metric
from ..analysis.prior_predictive import quiet_pymc
from ..analysis.results import Results, compute_results
from ..errors import UsageError
from ..inputs.calibration import Calibration
from ..inputs.data import MIN_TRAIN_PERIODS, ModelData, load_data, training_window
from ..priors.resolve import PriorSet
from ..runs.folder import check_writable, runs_folder, side_folder
from ..runs.plots import validation_plot
from ..runs.writers import write_csv, write_json
from ..spec.config import Config, load_config
from .prepare import effective_sampler, prepare, ready_model, ready_sampler, screen_model


@dataclass
class Fold:
    """One fold: the rows it fits and the rows it is scored on."""

    number: int
    n_train: int
    n: int


def folds_of(data: ModelData, folds: int, horizon: int) -> list[Fold]:
    """The K expanding windows ending ``horizon`` apart, the last test window at the data's end."""
    if folds < 1 or horizon < 1:
        raise UsageError("--folds and --horizon must be at least 1")
    first = data.n - folds * horizon
    if first < MIN_TRAIN_PERIODS:
        raise UsageError(
            f"{data.path}: {data.n} periods cannot hold {folds} folds of {horizon} test periods "
            f"after a first training window of at least {MIN_TRAIN_PERIODS} (it would be {first})"
        )
    return [Fold(k + 1, first + k * horizon, first + (k + 1) * horizon) for k in range(folds)]


def validate(
    config: Config | str | Path,
    *,
    folds: int = 5,
    horizon: int = 13,
    out: Path | None = None,
    quick: bool = False,
    console: Console | None = None,
    progress: bool = True,
    **overrides: Any,
) -> dict[str, Any]:
    """Fit and score every fold; write the validation folder; return the summary."""
    console = console or Console(stderr=True)
    cfg = config if isinstance(config, Config) else load_config(config)
    settings = effective_sampler(cfg, quick=quick, **overrides)
    full = load_data(cfg)
    plan = folds_of(full, folds, horizon)
    parent = runs_folder(cfg, out)
    check_writable(parent)
    windows = [training_window(cfg, full, f.n_train, f.n) for f in plan]
    prepared = [prepare(cfg, w) for w in windows]  # every fold's inputs checked before sampling
    models = []
    for inputs in prepared:  # and its model: a window whose target barely moves is refused
        models.append(ready_model(cfg, *inputs, parent, evaluate=False))
        screen_model(inputs[0], models[-1])
    rows, channel_rows, series = [], [], []
    started = time.perf_counter()
    for fold, inputs, model in zip(plan, prepared, models, strict=True):
        data = inputs[0]
        console.print(
            f"[bold]fold {fold.number}/{len(plan)}[/]: fit {data.dates[0].date()} to "
            f"{data.dates[fold.n_train - 1].date()}, score {data.dates[fold.n_train].date()} to "
            f"{data.dates[fold.n - 1].date()}"
        )
        row, per_channel, scored = _fit_fold(
            cfg, inputs, model, fold, settings, quick, console, progress
        )
        rows.append(row)
        channel_rows += per_channel
        series.append(scored)
        interrupts.check()
    table = pd.DataFrame(rows)
    channels = pd.DataFrame(channel_rows)
    failed = [] if quick else [int(r["fold"]) for r in rows if r["status"] != "passed"]
    summary = _summary(cfg, table, channels, folds, horizon, quick, failed)
    summary["wall_seconds"] = time.perf_counter() - started
    with side_folder(parent, "validate-") as run:
        write_csv(run.path / "folds.csv", table)
        write_csv(run.path / "fold_channels.csv", channels)
        (run.path / "plots").mkdir()
        validation_plot(cfg, pd.concat(series), channels, run.path / "plots" / "validate.png")
        summary["run_dir"] = str(run.final)
        write_json(run.path / "validate.json", summary)
    summary["folds_table"] = table.to_dict(orient="records")
    return summary


def _fit_fold(
    cfg: Config,
    inputs: tuple[ModelData, PriorSet, Calibration],
    model: pm.Model,
    fold: Fold,
    settings: Any,
    quick: bool,
    console: Console,
    progress: bool,
) -> tuple[dict, list[dict], pd.DataFrame]:
    data, _, calib = inputs
    for line in calib.warnings:
        console.print(f"[yellow]warning:[/] fold {fold.number}: {line}", highlight=False)
    with quiet_pymc():  # PyMC's engine logs its plan (``Initializing NUTS...``) otherwise
        sampled = ready_sampler(cfg, model, settings, console, progress).run()
    summary = posterior_summary(sampled.idata, cfg.hdi_prob)
    diag = diagnose(summary, sampled.idata, cfg.checks, gated=not quick)
    results = compute_results(cfg, data, model, sampled.idata, calib, seed=settings.seed)
    test = results.metrics["holdout"]
    status = "unchecked" if quick else ("passed" if diag["passed"] else "failed")
    row = {
        "fold": fold.number,
        "train_start": str(data.dates[0].date()),
        "train_end": str(data.dates[fold.n_train - 1].date()),
        "test_start": str(data.dates[fold.n_train].date()),
        "test_end": str(data.dates[fold.n - 1].date()),
        "n_train": fold.n_train,
        "n_test": fold.n - fold.n_train,
        "mape": test["mape"],
        "smape": test["smape"],
        "crps": test["predictive"]["crps"],
        "coverage_50": test["predictive"]["coverage_50"],
        "coverage_94": test["predictive"]["coverage_94"],
        "in_sample_crps": results.metrics["in_sample"]["predictive"]["crps"],
        "status": status,
        "max_r_hat": diag["max_r_hat"],
        "min_ess_bulk": diag["min_ess_bulk"],
        "divergences": diag["divergences"],
        "compile_seconds": sampled.compile_seconds,
        "sample_seconds": sampled.sample_seconds,
        "compile_cache": sampled.compile_cache,
    }
    return row, _channel_rows(cfg, fold, results), _scored(data, fold, results)


def _channel_rows(cfg: Config, fold: Fold, results: Results) -> list[dict]:
    m = metric(cfg.target.kind)
    return [
        {
            "fold": fold.number,
            "channel": r["channel"],
            "share_mean": r["share_mean"],
            f"{m}_mean": r[f"{m}_mean"],
            f"{m}_hdi_low": r[f"{m}_hdi_low"],
            f"{m}_hdi_high": r[f"{m}_hdi_high"],
        }
        for r in results.channels.to_dict(orient="records")
    ]


def _scored(data: ModelData, fold: Fold, results: Results) -> pd.DataFrame:
    test = results.fit.iloc[fold.n_train : fold.n].copy()
    test["fold"] = fold.number
    return test


def _mean(values: pd.Series) -> float | None:
    """Mean over the folds that have the metric (MAPE is undefined where the target is 0)."""
    return float(values.mean()) if values.notna().any() else None


def _summary(
    cfg: Config,
    table: pd.DataFrame,
    channels: pd.DataFrame,
    folds: int,
    horizon: int,
    quick: bool,
    failed: list[int],
) -> dict[str, Any]:
    stability = (
        channels.groupby("channel", sort=False)["share_mean"]
        .agg(["mean", "std", "min", "max"])
        .reset_index()
        .to_dict(orient="records")
    )
    means = {k: _mean(pd.to_numeric(table[k], errors="coerce")) for k in ("mape", "smape", "crps")}
    coverage = {k: float(np.mean(table[k])) for k in ("coverage_50", "coverage_94")}
    return {
        "command": "validate",
        "status": "unchecked" if quick else ("failed" if failed else "passed"),
        "exit_code": 3 if failed else 0,
        "config": cfg.name,
        "folds": folds,
        "horizon": horizon,
        "failed_folds": failed,
        "mean": {**means, **coverage},
        "share_stability": stability,
        "compile_cache": list(table["compile_cache"]),
    }
