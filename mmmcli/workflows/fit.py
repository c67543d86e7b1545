"""``mmm fit``: config → inputs → priors → model → sampling → analysis → run folder.

Each step is a call into its layer; this module only chains them, holds the lock while the run
is sampled and written, and says what happened on the console (stderr).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console

from .. import interrupts
from ..analysis.conflict import prior_conflict
from ..analysis.diagnosis import explain_failure
from ..analysis.diagnostics import describe
from ..analysis.notices import allocation_missing, retry_line, run_warnings
from ..analysis.results import Results, compute_results
from ..decisions.fitted import Decisions, decide
from ..errors import MMMError
from ..inputs.data import ModelData
from ..interrupts import Interrupted
from ..report import REPORT, write_report
from ..runs.fingerprint import input_hashes, unchanged_run
from ..runs.folder import RunFolder, RunLock, runs_folder
from ..runs.writers import manifest, write_fit_files, write_json
from ..spec.config import (
    Config,
    MlflowTracking,
    Refresh,
    Sampler,
    Tracking,
    load_config,
    without_credentials,
)
from ..tracking import destination, log_run
from ..version import __version__
from .prepare import (
    check_refresh_data,
    effective_sampler,
    prepare,
    ready_model,
    ready_sampler,
    screen_model,
)
from .retry import sample_judged

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
    attempts: list[dict] = field(default_factory=list)  # the manifest's: one per sampling
    tracking: dict | None = None  # where the run was logged (MLflow), or why it was not

    @property
    def advice(self) -> list[str]:
        """What to do about a failed fit (empty unless its convergence checks failed)."""
        return list((self.diagnostics.get("diagnosis") or {}).get("advice", []))

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
            "advice": self.advice,
            "tracking": self.tracking,
            "attempts": self.attempts,
        }


def fit(
    config: Config | str | Path,
    *,
    out: Path | None = None,
    quick: bool = False,
    if_changed: bool = False,
    refresh_from: Path | str | None = None,
    mlflow: str | None = None,
    console: Console | None = None,
    progress: bool = True,
    retry: bool = True,
    **overrides: Any,
) -> FitOutcome:
    """Fit a config end to end and write its run folder.

    Raises UsageError on bad input (before anything is written) and LockedError when another
    run of the same config holds the lock. With ``if_changed``, a request whose config, data,
    calibration files, tool version and overrides match the newest run is not refitted: that
    run's outcome is returned with ``skipped`` set. With a tracking destination (``mlflow``, a
    URI, or the config's ``tracking:`` block) the finished run is logged to MLflow; a tracker
    that fails is a warning, never a failed fit. ``retry=False`` (``--no-retry``): a near miss
    is not sampled again (``sampler.retry``, ``workflows.retry``).
    """
    started = datetime.now(UTC)
    console = console or Console(stderr=True)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    cfg = config if isinstance(config, Config) else load_config(config)
    if refresh_from is not None:
        widen = cfg.refresh.widen if cfg.refresh else Refresh.model_fields["widen"].default
        # absolute but not resolved: ".../latest" stays the link, so --if-changed's fingerprint
        # does not change each time the link moves on to the run this very command made
        refresh = Refresh.model_validate({"from": Path(refresh_from).absolute(), "widen": widen})
        cfg = cfg.model_copy(update={"refresh": refresh})
    settings = effective_sampler(cfg, quick=quick, **overrides)
    tracked_at = destination(cfg, mlflow)  # checked before anything is fitted
    if mlflow is not None and tracked_at is not None:  # the run records where it was logged
        uri, experiment = tracked_at
        tracking = Tracking(mlflow=MlflowTracking(uri=uri, experiment=experiment))
        cfg = cfg.model_copy(update={"tracking": tracking})
    parent = runs_folder(cfg, out)
    flag = "--refresh-from" if refresh_from is not None else None  # what refresh errors name
    data, priors, calib = prepare(cfg, refresh_option=flag)  # every input checked before all else
    # what --if-changed compares: not the cores, which change speed, not results
    given = {**{k: v for k, v in overrides.items() if k != "cores"}, "quick": quick or None}
    # --no-retry only where it switches off a retry that could change the result
    given["no_retry"] = True if not (retry or quick or settings.retry.max == 0) else None
    if refresh_from is not None:
        given["refresh_from"] = str(cfg.refresh.source) if cfg.refresh else None
    inputs = input_hashes(cfg, given, __version__)
    if if_changed:
        found = unchanged_run(parent, inputs["fingerprint"])
        if found is not None:  # nothing new; but a run a tracker missed is logged now
            skipped = _skipped(found, console)
            skipped.tracking = _track(console, skipped.run_dir, tracked_at, skipped.warnings)
            return skipped
    said_refresh, refresh_warnings = check_refresh_data(cfg, priors, inputs["data"]["sha256"])
    inputs["refresh"] = priors.refresh

    model = ready_model(cfg, data, priors, calib, parent, evaluate=False)
    findings = screen_model(data, model)
    screening = [f.message for f in findings] + refresh_warnings
    origin = priors.refresh or {}
    if origin and origin.get("status") != "passed":
        screening.append(
            f"refresh: {origin['from']} is {origin.get('status')} (not checked: a --quick run?); "
            f"its posterior is a weak basis for priors"
        )
    said_before = [*cfg.warnings(), *calib.warnings, *screening]
    _warn(console, said_before)
    timings["load"] = time.perf_counter() - t
    console.print(_plan_line(cfg, data, settings))
    for line in said_refresh:  # which run the priors come from, and what counts twice
        console.print(line, markup=False, highlight=False)

    ready = ready_sampler(cfg, model, settings, console, progress)  # before the lock: exit 2
    with RunLock(parent, cfg.name):  # every attempt under the one lock, before any run folder
        judged = sample_judged(cfg, ready, quick=quick, retry=retry, console=console)
        sampled, summary, diag = judged.sampled, judged.summary, judged.diag
        status, code, attempts = judged.status, judged.exit_code, judged.attempts
        timings["compile"] = judged.compile_seconds
        timings["sample"] = judged.sample_seconds  # every attempt's

        t = time.perf_counter()
        diag["gradient_evaluations"] = sampled.gradient_evals
        diag["compile_cache"] = sampled.compile_cache
        final_seed = sampled.settings["seed"]  # the last attempt's (a retry's seed is derived)
        results = compute_results(cfg, data, model, sampled.idata, calib, seed=final_seed)
        diag["status"] = status
        diag["diagnosis"] = (
            explain_failure(summary, sampled.idata, diag, cfg, sampled.settings, findings)
            if status == "failed"
            else None
        )
        if diag["diagnosis"] is not None and judged.judgement is not None:
            diag["diagnosis"]["advice"].append(judged.judgement.why)  # why no (further) retry
        conflicts = prior_conflict(priors, sampled.idata.posterior)
        allowed = status == "passed" or bool(cfg.optimize and cfg.optimize.allow_failed)
        t_decide = time.perf_counter()
        decisions = decide(
            cfg, data, priors, sampled.idata.posterior, results.parameters, optimize=allowed
        )
        results.channels = results.channels.merge(decisions.marginal, on="channel", how="left")
        timings["decisions"] = time.perf_counter() - t_decide

        run = RunFolder(parent, started=started)
        try:
            write_fit_files(
                run.path, cfg, data, priors, sampled, summary, diag, results, conflicts, decisions
            )
            timings["write"] = time.perf_counter() - t - timings["decisions"]
            record = manifest(
                cfg,
                data,
                sampled.settings,
                timings,
                status,
                code,
                run,
                inputs,
                said_before,
                attempts=attempts,
            )
            write_json(run.path / "manifest.json", record)
            report_seconds, report_problem = _write_report(run.path)
            if report_seconds is not None:  # the report's own time, for the record
                record["timings_seconds"]["report"] = round(report_seconds, 3)
                write_json(run.path / "manifest.json", record)
            with interrupts.commit_point():  # a complete run is either in place or not at all
                interrupts.check()
                run_dir = run.commit(passed=status == "passed")
        except BaseException as exc:
            failure = run.discard(exc)  # a full disk, say: named, with what the run needs
            if failure is not None:
                raise failure from exc
            raise

    warnings_out = _report(console, diag, status, quick, results, conflicts, run_dir, attempts)
    if report_problem:
        _warn(console, [report_problem])
        warnings_out.append(report_problem)
    warnings_out += _report_allocation(console, cfg, decisions, status)
    tracking = _track(console, run_dir, tracked_at, warnings_out)
    return FitOutcome(
        run_dir,
        status,
        code,
        diag,
        results.metrics,
        results.channels,
        timings,
        warnings=[*calib.warnings, *screening, *warnings_out],
        tracking=tracking,
        attempts=attempts,
    )


def _track(
    console: Console, run_dir: Path, where: tuple[str, str] | None, warnings_out: list[str]
) -> dict | None:
    """Log the committed run to MLflow; a tracker that fails is a warning (the run is whole)."""
    if where is None:
        return None
    uri, experiment = where
    try:
        with interrupts.deliverable():  # Ctrl-C stops the upload, not the committed run
            tracked = log_run(run_dir, uri, experiment)
    except (MMMError, Interrupted) as exc:
        interrupts.clear()
        why = f"interrupted by {exc}" if isinstance(exc, Interrupted) else str(exc)
        line = f"not tracked: {why}; 'mmm track {run_dir}' logs it later"
        _warn(console, [line])
        warnings_out.append(line)
        shown = without_credentials(uri)
        return {"mlflow": {"uri": shown, "experiment": experiment, "error": why}}
    said = "already logged as" if tracked.already else "logged as"
    console.print(
        f"MLflow: {said} run {tracked.run_id} in experiment '{experiment}' at {tracked.uri}"
        + (f" ({tracked.url})" if tracked.url else "")
    )
    return tracked.to_json()


def _write_report(folder: Path) -> tuple[float | None, str | None]:
    """``report.html`` into the run being written: (seconds, None), or (None, why not). A page
    that cannot be rendered is a warning, never a lost fit: the run's files are all there."""
    try:
        info = write_report(folder)
    except Exception as exc:  # noqa: BLE001 - any failure of the page alone
        why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return None, f"report.html not written ({why}); 'mmm report RUN' tries again"
    return info.seconds, None


def _plan_line(cfg: Config, data: ModelData, settings: Sampler) -> str:
    return (
        f"[bold]{cfg.name}[/]: {data.n_train} periods "
        f"({data.dates[0].date()} to {data.dates[data.n_train - 1].date()}), "
        f"{len(data.channels)} channels, engine {settings.engine}, "
        f"{settings.chains}x{settings.tune}+{settings.draws}"
    )


def _warn(console: Console, lines: list[str]) -> None:
    for line in lines:
        console.print(f"[yellow]warning:[/] {line}", highlight=False)


def _report(
    console: Console,
    diag: dict,
    status: str,
    quick: bool,
    results: Results,
    conflicts: pd.DataFrame,
    run_dir: Path,
    attempts: list[dict],
) -> list[str]:
    """The end of a fit on the console; returns the warnings it printed."""
    console.print(f"Convergence: {describe(diag)}")
    retried = retry_line(attempts)
    if retried:
        console.print(retried[:1].upper() + retried[1:], highlight=False)
    if quick:
        console.print("[yellow]Convergence checks skipped (--quick): a smoke run, not a result.[/]")
    elif status == "failed":
        console.print(
            f"[red]Convergence checks failed: {', '.join(diag['failed'])}.[/] "
            f"Results are written but marked failed."
        )
    lines = run_warnings(results.calibration, conflicts, results.metrics.get("loo"))
    _warn(console, lines)
    console.print(f"Run folder: {run_dir}")
    if (run_dir / REPORT).is_file():
        console.print(f"Report: {run_dir / REPORT}")
    return lines


def _report_allocation(
    console: Console, cfg: Config, decisions: Decisions, status: str
) -> list[str]:
    """The config's allocation in one line (or why there is none); returns its warnings."""
    if cfg.optimize is None:
        return []
    if decisions.allocation is None:
        line = allocation_missing(status)
        _warn(console, [line])
        return [line]
    s = decisions.allocation.summary
    console.print(
        f"Allocation of {s['budget']:,.0f} over {s['periods']} periods: expected gain over the "
        f"recent mix {s['gain_mean']:,.1f} [{s['gain_hdi_low']:,.1f}, {s['gain_hdi_high']:,.1f}], "
        f"P(gain > 0) = {s['gain_probability_positive']:.2f} (allocation.csv)"
    )
    _warn(console, decisions.allocation.warnings)
    return list(decisions.allocation.warnings)


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
        attempts=list(info.get("attempts") or []),
    )
