"""The ``mmm fit`` pipeline: config → data → priors → model → sample → gate → run folder."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pymc as pm
from pydantic import ValidationError
from rich.console import Console

from . import interrupts
from .calibration import Calibration, add_noise_priors, apply_fixed, load_calibration
from .config import Config, Sampler, load_config
from .conflict import conflict_lines, prior_conflict
from .data import ModelData, load_data
from .diagnostics import describe, diagnose, posterior_summary
from .errors import ConfigError, ModelError
from .model import build_model
from .outputs import (
    manifest,
    resolved_config,
    write_csv,
    write_json,
    write_trace,
    write_yaml,
)
from .plots import write_plots
from .priors import PriorSet, resolve_priors
from .results import compute_results
from .runs import (
    RunFolder,
    RunLock,
    check_writable,
    input_hashes,
    runs_folder,
    unchanged_run,
)
from .sample import run_sampler

QUICK = {"chains": 2, "draws": 200, "tune": 200}

for _name in ("pymc", "pymc.sampling", "pymc.stats.convergence"):
    logging.getLogger(_name).setLevel(logging.ERROR)


@dataclass
class FitOutcome:
    """What a fit produced: where, whether it passed, and the headline figures."""

    run_dir: Path
    status: str  # passed | failed | unchecked
    exit_code: int
    diagnostics: dict
    metrics: dict
    channels: pd.DataFrame
    timings: dict = field(default_factory=dict)
    skipped: bool = False  # --if-changed found nothing new: this is the earlier run
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        """The machine-readable result object printed by ``--json``."""
        return {
            "command": "fit",
            "status": self.status,
            "exit_code": self.exit_code,
            "skipped": self.skipped,
            "run_dir": str(self.run_dir),
            "diagnostics": self.diagnostics,
            "metrics": self.metrics,
            "channels": self.channels.to_dict(orient="records"),
            "timings_seconds": {k: round(v, 3) for k, v in self.timings.items()},
            "warnings": self.warnings,
        }


def prepare(cfg: Config) -> tuple[ModelData, PriorSet, Calibration]:
    """Load and validate data and calibration, then solve and check every prior (no sampling)."""
    data = load_data(cfg)
    priors = resolve_priors(cfg, data)
    calib = load_calibration(cfg, data)
    add_noise_priors(priors, calib)
    apply_fixed(cfg, data, priors, calib)
    return data, priors, calib


def effective_sampler(cfg: Config, *, quick: bool = False, **overrides) -> Sampler:
    """The config's sampler settings with ``--quick`` and command-line overrides applied."""
    values = cfg.sampler.model_dump()
    if quick:
        values.update(QUICK)
    given = {k: v for k, v in overrides.items() if v is not None}
    values.update(given)
    try:
        return Sampler.model_validate(values)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        key = str(err["loc"][0]) if err["loc"] else ""
        where = f"--{key}" if key in given else f"{cfg.source}: sampler.{key}"
        raise ConfigError(f"{where}: {err['msg']}") from None


def fit(
    config: Config | str | Path,
    *,
    out: Path | None = None,
    quick: bool = False,
    if_changed: bool = False,
    console: Console | None = None,
    progress: bool = True,
    **overrides,
) -> FitOutcome:
    """Fit a config end to end and write its run folder.

    Raises UsageError on bad input (before anything is written) and LockedError when another
    run of the same config holds the lock. With ``if_changed``, a request whose config, data,
    calibration files, tool version and overrides match the newest run is not refitted: that
    run's outcome is returned with ``skipped`` set.
    """
    from . import __version__

    console = console or Console(stderr=True)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    cfg = config if isinstance(config, Config) else load_config(config)
    settings = effective_sampler(cfg, quick=quick, **overrides)
    parent = runs_folder(cfg, out)
    data, priors, calib = prepare(cfg)  # validates every input file before anything else
    inputs = input_hashes(cfg, {**overrides, "quick": quick or None}, __version__)
    if if_changed:
        found = unchanged_run(parent, inputs["fingerprint"])
        if found is not None:
            return _skipped(found, console)

    for warning in [*cfg.warnings(), *calib.warnings]:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    model = build_model(cfg, data, priors, calib)
    check_initial_point(model)
    check_writable(parent)
    timings["load"] = time.perf_counter() - t
    console.print(
        f"[bold]{cfg.name}[/]: {data.n_train} periods "
        f"({data.dates[0].date()} to {data.dates[data.n_train - 1].date()}), "
        f"{len(data.channels)} channels, engine {settings.engine}, "
        f"{settings.chains}x{settings.tune}+{settings.draws}"
    )

    with RunLock(parent, cfg.name):
        sampled = run_sampler(model, settings, console, progress)
        interrupts.check()
        timings["compile"] = sampled.compile_seconds
        timings["sample"] = sampled.sample_seconds

        t = time.perf_counter()
        summary = posterior_summary(sampled.idata, cfg.hdi_prob)
        diag = diagnose(summary, sampled.idata, cfg.checks, gated=not quick)
        diag["gradient_evaluations"] = sampled.gradient_evals
        diag["compile_cache"] = sampled.compile_cache
        results = compute_results(cfg, data, model, sampled.idata, calib)
        if quick:
            status, code = "unchecked", 0
        else:
            status, code = ("passed", 0) if diag["passed"] else ("failed", 3)
        diag["status"] = status

        run = RunFolder(parent)
        run_dir = None
        try:
            write_csv(run.path / "priors.csv", pd.DataFrame(priors.rows()))
            write_csv(run.path / "posterior_summary.csv", summary.reset_index())
            write_csv(run.path / "contributions.csv", results.contributions)
            write_csv(run.path / "channels.csv", results.channels)
            if results.calibration is not None:
                write_csv(run.path / "calibration.csv", results.calibration)
            if results.coefficients is not None:
                write_csv(run.path / "coefficients.csv", results.coefficients)
            conflicts = prior_conflict(priors, sampled.idata.posterior)
            write_csv(run.path / "prior_conflict.csv", conflicts)
            write_json(run.path / "metrics.json", results.metrics)
            write_json(run.path / "diagnostics.json", diag)
            write_yaml(
                run.path / "config.resolved.yaml",
                resolved_config(cfg, data, priors, sampled.settings),
                header=f"# {cfg.name}: the config as fitted, defaults filled and bounds solved\n",
            )
            write_trace(run.path / "trace.nc", sampled.idata)
            write_plots(cfg, results, run.path / "plots")
            timings["write"] = time.perf_counter() - t
            write_json(
                run.path / "manifest.json",
                manifest(cfg, data, sampled.settings, timings, status, code, run, inputs),
            )
            with interrupts.deferred():  # a complete run is either in place or not at all
                interrupts.check()
                run_dir = run.commit(passed=status == "passed")
        except interrupts.Interrupted as exc:
            exc.written = run_dir
            run.discard()
            raise
        except BaseException:
            run.discard()
            raise

    console.print(f"Convergence: {describe(diag)}")
    if quick:
        console.print("[yellow]Convergence checks skipped (--quick): a smoke run, not a result.[/]")
    elif status == "failed":
        console.print(
            f"[red]Convergence checks failed: {', '.join(diag['failed'])}.[/] "
            f"Results are written but marked failed."
        )
    warnings_out = calibration_warnings(results.calibration) + conflict_lines(conflicts)
    for line in warnings_out:
        console.print(f"[yellow]warning:[/] {line}", highlight=False)
    console.print(f"Run folder: {run_dir}")
    return FitOutcome(
        run_dir,
        status,
        code,
        diag,
        results.metrics,
        results.channels,
        timings,
        warnings=[*calib.warnings, *warnings_out],
    )


def _skipped(found: tuple[Path, dict], console: Console) -> FitOutcome:
    run_dir, info = found
    console.print(
        f"Unchanged since {run_dir} (config, data, calibration, version and options match); "
        f"not refitted. Its status: {info.get('status')}."
    )
    diag = json.loads((run_dir / "diagnostics.json").read_text())
    metrics = json.loads((run_dir / "metrics.json").read_text())
    channels = pd.read_csv(run_dir / "channels.csv")
    return FitOutcome(
        run_dir,
        info.get("status", "unknown"),
        int(info.get("exit_code", 0)),
        diag,
        metrics,
        channels,
        skipped=True,
    )


def calibration_warnings(table: pd.DataFrame | None, limit: float = 3.0) -> list[str]:
    """A line per source whose experiments the posterior disagrees with (|z| > limit)."""
    if table is None or table.empty:
        return []
    out = []
    for (source, channel), rows in table.groupby(["source", "channel"], sort=False):
        bad = rows[rows["z"].abs() > limit]
        if len(bad):
            worst = bad.loc[bad["z"].abs().idxmax()]
            out.append(
                f"{source} ({channel}): the model disagrees with {len(bad)} of {len(rows)} "
                f"observations by more than {limit:g} combined sd (worst z = {worst['z']:.1f} at "
                f"{worst['date_or_window']}); see calibration.csv"
            )
    return out


def check_initial_point(model: pm.Model) -> None:
    """Refuse a model whose log-density is not finite at its initial point."""
    logps = model.point_logps(mode="FAST_COMPILE")  # one evaluation: skip numba compilation
    bad = [name for name, value in logps.items() if not np.isfinite(value)]
    if bad:
        raise ModelError(
            f"the model cannot be evaluated at its initial point: log-density of "
            f"{', '.join(bad)} is not finite (check priors against the data's scale)"
        )
