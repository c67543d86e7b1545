"""The ``mmm`` command line: parse options, call the library, render, map errors to exit codes.

Human output goes to stderr (rich); ``--json`` prints one result object on stdout.
Exit codes: 0 ok, 1 internal error, 2 bad input, 3 convergence checks failed, 4 compare found
drift, 73/74 the machine refused (cannot create the output / input-output failure: a read-only
folder, a full disk), 75 another run of the config holds the lock, 130/143 interrupted.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from .. import interrupts
from ..errors import (
    EnvironmentFailure,
    MMMError,
    UsageError,
    environment_failure,
    one_line,
    plural,
)
from ..interrupts import Interrupted
from ..jsonsafe import clean_json
from . import render
from .surface import Command, Group, command_line_error, shown_paths

app = typer.Typer(
    cls=Group,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Bayesian Marketing Mix Modeling from a YAML file.",
)
errors = Console(stderr=True)


class Engine(StrEnum):
    nutpie = "nutpie"
    pymc = "pymc"


ConfigArg = Annotated[Path, typer.Argument(metavar="CONFIG", help="The model's YAML config.")]
RunArg = Annotated[Path, typer.Argument(help="Run folder, runs/<name> or .../latest.")]
OutOpt = Annotated[
    Path | None, typer.Option(help="Runs folder (default: the config's output.dir).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON result object on stdout.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr (cron).")]
DebugOpt = Annotated[bool, typer.Option(help="Show tracebacks.")]
# the sampler overrides of every command that samples (fit, validate)
DrawsOpt = Annotated[int | None, typer.Option(help="Posterior draws per chain.")]
TuneOpt = Annotated[int | None, typer.Option(help="Tuning steps per chain.")]
ChainsOpt = Annotated[int | None, typer.Option(help="Number of chains.")]
SeedOpt = Annotated[int | None, typer.Option(help="Random seed.")]
EngineOpt = Annotated[Engine | None, typer.Option(help="NUTS engine.")]


def _version(value: bool) -> None:
    if value:
        from ..version import __version__

        typer.echo(__version__)
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", is_eager=True, callback=_version
        ),
    ] = False,
) -> None:
    """Bayesian Marketing Mix Modeling from a YAML file."""


@app.command(cls=Command)
def fit(
    configs: Annotated[
        list[Path],
        typer.Argument(
            metavar="CONFIG...", help="The model's YAML config; several, or folders of them."
        ),
    ],
    out: OutOpt = None,
    quick: Annotated[
        bool, typer.Option(help="Smoke run: 2 chains x 200 tune + 200 draws, no gate.")
    ] = False,
    draws: DrawsOpt = None,
    tune: TuneOpt = None,
    chains: ChainsOpt = None,
    seed: SeedOpt = None,
    engine: EngineOpt = None,
    cores: Annotated[
        int | None, typer.Option(help="Cores the chains share (default: all, or the batch's).")
    ] = None,
    if_changed: Annotated[
        bool,
        typer.Option(help="Skip the fit when config, data and options match the newest run."),
    ] = False,
    no_retry: Annotated[
        bool,
        typer.Option(
            "--no-retry",
            help="Never sample a near miss again (a few divergences; see sampler.retry).",
        ),
    ] = False,
    refresh_from: Annotated[
        Path | None,
        typer.Option(
            help="Priors from this earlier run's posterior, widened (overrides refresh.from)."
        ),
    ] = None,
    mlflow: Annotated[
        str | None,
        typer.Option(
            metavar="URI",
            help="Log the run to MLflow at URI (overrides tracking.mlflow.uri).",
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(help="Several configs: fits at a time on this machine (default: cores)."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            metavar="ADDRESS",
            help="Several configs: fit on this Dask cluster (tcp://host:8786; $MMM_SCHEDULER).",
        ),
    ] = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Fit CONFIG and write a run folder; exit 0 ok, 2 bad input, 3 convergence checks failed.

    With several configs (or a folder), each is fitted as its own `mmm fit`, a summary table
    follows, and the exit code is the most severe of theirs
    (130/143 > 1 > 74 > 73 > 2 > 3 > 75 > 4 > 0).
    """
    from ..workflows.fit import fit as run_fit

    console = _console(quiet)
    batch = len(configs) > 1 or configs[0].is_dir() or jobs is not None
    if batch or scheduler is not None or os.environ.get("MMM_SCHEDULER"):
        _fit_batch(
            configs,
            _batch_args(
                out, quick, draws, tune, chains, seed, engine, if_changed, mlflow, debug, no_retry
            ),
            out=out,
            quiet=quiet,
            refresh_from=refresh_from,
            cores=cores,
            chains=chains,
            jobs=jobs,
            scheduler=scheduler,
            as_json=as_json,
            console=console,
            debug=debug,
        )

    def go():
        return run_fit(
            configs[0],
            out=out,
            quick=quick,
            if_changed=if_changed,
            refresh_from=refresh_from,
            mlflow=mlflow,
            console=console,
            progress=not quiet,
            cores=cores,
            retry=not no_retry,
            **_sampler(draws, tune, chains, seed, engine),
        )

    outcome = _guard(go, debug, as_json, "fit")
    if not outcome.skipped:
        render.channels(console, outcome.channels)
        render.media_share(console, outcome.metrics)
        render.diagnosis(console, outcome.diagnostics)
    _result(as_json, outcome.to_json())
    raise typer.Exit(outcome.exit_code)


def _batch_args(
    out: Path | None,
    quick: bool,
    draws: int | None,
    tune: int | None,
    chains: int | None,
    seed: int | None,
    engine: Engine | None,
    if_changed: bool,
    mlflow: str | None,
    debug: bool,
    no_retry: bool = False,
) -> list[str]:
    """The options each fit of a batch gets, paths made absolute (a worker's working directory
    is not this one)."""
    from ..spec.config import resolve_tracking_uri

    args: list[str] = []
    if out is not None:
        args += ["--out", str(out.resolve())]
    for flag, on in (
        ("--quick", quick),
        ("--if-changed", if_changed),
        ("--debug", debug),
        ("--no-retry", no_retry),
    ):
        args += [flag] if on else []
    for flag, value in (("--draws", draws), ("--tune", tune), ("--chains", chains)):
        args += [flag, str(value)] if value is not None else []
    args += ["--seed", str(seed)] if seed is not None else []
    args += ["--engine", engine.value] if engine is not None else []
    if mlflow is not None:
        args += ["--mlflow", resolve_tracking_uri(mlflow, Path.cwd()) if mlflow.strip() else ""]
    return args


def _fit_batch(
    configs: list[Path],
    args: list[str],
    *,
    out: Path | None,
    quiet: bool,
    refresh_from: Path | None,
    cores: int | None,
    chains: int | None,
    jobs: int | None,
    scheduler: str | None,
    as_json: bool,
    console: Console,
    debug: bool,
) -> None:
    from ..workflows.batch import ENV_SCHEDULER, expand, fit_many

    def go():
        if refresh_from is not None:
            raise UsageError(
                "--refresh-from: names one earlier run, so it fits one config; for a batch give "
                "each config its own refresh: {from: ...}"
            )
        if cores is not None:
            raise UsageError("--cores: a batch shares the cores itself; use --jobs")
        if jobs is not None and jobs < 1:
            raise UsageError(f"--jobs: must be >= 1, got {jobs}")
        found = expand(configs)
        where = scheduler or os.environ.get(ENV_SCHEDULER) or None
        console.print(f"Fitting {plural(len(found), 'config')} on {where or 'this machine'}")
        return fit_many(
            found,
            fit_args=args,
            out=out,
            chains=chains,
            jobs=jobs,
            scheduler=where,
            on_done=lambda item: render.batch_line(errors if quiet else console, item, quiet),
        )

    outcome = _guard(go, debug, as_json, "fit")
    render.batch(console, outcome)
    if quiet:  # --quiet: only errors, one line each (on stderr, as always)
        render.batch_errors(errors, outcome)
    _result(as_json, outcome.to_json())
    raise typer.Exit(outcome.exit_code)


@app.command(cls=Command)
def check(
    config: ConfigArg,
    out: OutOpt = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Validate config, data and calibration, solve bounded priors, print the plan; no sampling."""
    from ..workflows.check import check as run_check

    plan = _guard(lambda: run_check(config, out=out), debug, as_json, "check")
    render.plan(_console(quiet), plan)
    _result(as_json, plan)


@app.command(cls=Command)
def prior(
    config: ConfigArg,
    out: OutOpt = None,
    draws: Annotated[int, typer.Option(min=1, max=100_000, help="Prior predictive draws.")] = 500,
    seed: Annotated[
        int | None,
        typer.Option(min=0, max=2**63 - 1, help="Random seed (default: the sampler's)."),
    ] = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Prior predictive check: the target, contribution shares and ROAS/CPA the priors imply."""
    from ..workflows.prior import prior_check

    result = _guard(
        lambda: prior_check(config, out=out, draws=draws, seed=seed), debug, as_json, "prior"
    )
    render.prior(_console(quiet), result)
    _result(as_json, result)


@app.command(cls=Command)
def compare(
    run: RunArg,
    baseline: Annotated[Path, typer.Argument(help="Baseline run folder, or .../latest.")],
    rtol: Annotated[float, typer.Option(help="Relative change that counts as drift.")] = 0.1,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Compare two runs' channel effects, ROAS/CPA and fit; exit 4 when something drifted."""
    from ..analysis.compare import compare_runs, resolve_run

    result = _guard(
        lambda: compare_runs(resolve_run(run), resolve_run(baseline), rtol=rtol),
        debug,
        as_json,
        "compare",
    )
    render.comparison(_console(quiet), result)
    _result(as_json, result.to_json())
    raise typer.Exit(4 if result.drifted else 0)


@app.command(cls=Command)
def validate(
    config: ConfigArg,
    folds: Annotated[int, typer.Option(min=1, max=50, help="Number of folds.")] = 5,
    horizon: Annotated[
        int, typer.Option(min=1, help="Periods each fold is scored on, after its training window.")
    ] = 13,
    out: OutOpt = None,
    quick: Annotated[
        bool, typer.Option(help="Smoke run: 2 chains x 200 tune + 200 draws per fold, no gate.")
    ] = False,
    draws: DrawsOpt = None,
    tune: TuneOpt = None,
    chains: ChainsOpt = None,
    seed: SeedOpt = None,
    engine: EngineOpt = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Rolling-origin cross-validation: fit K growing windows, score each on the next H periods;
    exit 0, or 3 when a fold failed its convergence checks."""
    from ..workflows.validate import validate as run_validate

    console = _console(quiet)

    def go():
        return run_validate(
            config,
            folds=folds,
            horizon=horizon,
            out=out,
            quick=quick,
            console=console,
            progress=not quiet,
            **_sampler(draws, tune, chains, seed, engine),
        )

    result = _guard(go, debug, as_json, "validate")
    render.validation(console, result)
    _result(as_json, result)
    raise typer.Exit(result["exit_code"])


class Pattern(StrEnum):
    flat = "flat"
    recent = "recent"


@app.command(cls=Command)
def report(
    run: RunArg,
    out: Annotated[
        Path | None,
        typer.Option(help="Write the page here (a file, or a folder for report.html in it)."),
    ] = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Rebuild RUN's report.html from its files (one self-contained page; failed runs too)."""
    from ..analysis.compare import resolve_run
    from ..report import REPORT, write_report

    def go():
        folder = resolve_run(run)
        target = out
        if target is not None and target.is_dir():
            target = target / REPORT
        if target is not None and not target.parent.is_dir():
            raise UsageError(f"--out: {target.parent} is not a folder")
        return write_report(folder, target)

    info = _guard(go, debug, as_json, "report")
    _console(quiet).print(f"Report: {info.path} ({info.bytes / 1e6:.2f} MB, {info.seconds:.2f} s)")
    _result(as_json, {"command": "report", "status": "ok", "exit_code": 0, **info.to_json()})


@app.command(cls=Command)
def track(
    run: RunArg,
    mlflow: Annotated[
        str | None,
        typer.Option(metavar="URI", help="Tracking URI (default: the run's tracking.mlflow.uri)."),
    ] = None,
    experiment: Annotated[
        str | None, typer.Option(help="Experiment (default: the run's, or the config's name).")
    ] = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Log a finished run to MLflow (once); exit 75 when the tracker cannot be reached."""
    from ..workflows.track import track as run_track

    tracked = _guard(
        lambda: run_track(run, mlflow=mlflow, experiment=experiment), debug, as_json, "track"
    )
    said = "already logged as" if tracked.already else "logged as"
    _console(quiet).print(
        f"MLflow: {said} run {tracked.run_id} in experiment '{tracked.experiment}' at "
        f"{tracked.uri}" + (f" ({tracked.url})" if tracked.url else "")
    )
    payload = {"command": "track", "status": "ok", "exit_code": 0, "tracking": tracked.to_json()}
    _result(as_json, payload)


@app.command(cls=Command)
def optimize(
    run: RunArg,
    budget: Annotated[
        float | None,
        typer.Option(help="Total spend over the periods (default: what the last N periods spent)."),
    ] = None,
    periods: Annotated[
        int | None, typer.Option(help="Number of periods after the data's last one.")
    ] = None,
    pattern: Annotated[
        Pattern | None,
        typer.Option(help="Split over the periods: even, or the shape of the last N periods."),
    ] = None,
    quantile: Annotated[
        float | None,
        typer.Option(help="Maximise this quantile of the response (e.g. 0.1) instead of the mean."),
    ] = None,
    bounds: Annotated[
        list[str] | None,
        typer.Option(help="CHANNEL=LOWER:UPPER in multiples of recent spend (repeatable)."),
    ] = None,
    spend_bounds: Annotated[
        list[str] | None,
        typer.Option(help="CHANNEL=LOWER:UPPER in spend units (repeatable)."),
    ] = None,
    allow_failed: Annotated[
        bool, typer.Option(help="Optimize a run that failed its convergence checks.")
    ] = False,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Split a budget over channels for the next N periods; writes optimize-<timestamp>/."""
    from ..workflows.optimize import optimize as run_optimize
    from ..workflows.optimize import parse_limits

    def go():
        return run_optimize(
            run,
            budget=budget,
            periods=periods,
            pattern=pattern.value if pattern else None,
            quantile=quantile,
            bounds=parse_limits("--bounds", bounds),
            spend_bounds=parse_limits("--spend-bounds", spend_bounds),
            allow_failed=allow_failed,
        )

    result = _guard(go, debug, as_json, "optimize")
    render.allocation(_console(quiet), result)
    _result(as_json, result)


@app.command(cls=Command)
def init(
    directory: Annotated[
        str, typer.Argument(metavar="DIRECTORY", help="Folder to create the project in.")
    ],
    debug: DebugOpt = False,
) -> None:
    """Scaffold a working config with sample data (and experiment files) in DIRECTORY."""
    from ..workflows.init import scaffold

    written = _guard(lambda: scaffold(directory), debug, False, "init")
    console = _console(False)
    for path in written:
        console.print(f"wrote {path}")
    console.print(f"Next: mmm check {written[0]} && mmm fit {written[0]}")


@app.command(cls=Command)
def schema() -> None:
    """Print the config's JSON Schema (for editor validation of YAML files)."""
    from ..spec.config import config_json_schema

    _emit(config_json_schema())


def _sampler(
    draws: int | None, tune: int | None, chains: int | None, seed: int | None, engine: Engine | None
) -> dict[str, Any]:
    """The sampler overrides as the workflows take them (None: the config's)."""
    return {
        "draws": draws,
        "tune": tune,
        "chains": chains,
        "seed": seed,
        "engine": engine.value if engine else None,
    }


# ---------------------------------------------------------------- errors


def _console(quiet: bool) -> Console:
    return Console(stderr=True, quiet=quiet)


def _result(as_json: bool, payload: dict) -> None:
    """Every command ends the same way: its human account on stderr (already printed, unless
    ``--quiet``) and, with ``--json``, one object on stdout with ``command``, ``status`` and
    ``exit_code`` first."""
    if as_json:
        _emit(payload)


def _emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(clean_json(obj), indent=2) + "\n")


def _guard(action: Callable, debug: bool, as_json: bool, command: str):
    """Run ``action``; turn known errors into one line (or a JSON object) and their exit code."""
    try:
        return action()
    except MMMError as exc:
        if debug:
            traceback.print_exc()
        message = str(exc)
        if isinstance(exc, EnvironmentFailure):  # the machine's doing: the log keeps the detail
            message += f" ({_traceback_log(exc)})"
        _fail(command, as_json, exc.exit_code, message, "error")
    except Interrupted as exc:
        _fail(command, as_json, exc.exit_code, f"{exc}; nothing was written", "interrupted")
    except KeyboardInterrupt:
        _fail(command, as_json, 130, "interrupted; nothing was written", "interrupted")
    except Exception as exc:  # an internal error: one line, traceback in a log
        signalled = interrupts.pending()
        if signalled is not None:  # a signal broke compiled code mid-call: it is the signal
            _fail(
                command,
                as_json,
                signalled.exit_code,
                f"{signalled}; nothing was written",
                "interrupted",
            )
        failure = environment_failure(exc)  # a full disk or no file handles: not a bug
        if failure is not None and not debug:
            message = f"{failure} ({_traceback_log(exc)})"
            _fail(command, as_json, failure.exit_code, message, "error")
        if debug:
            raise
        _fail(command, as_json, 1, _internal(exc), "internal error")


def _internal(exc: BaseException) -> str:
    """The line for an unexpected error, pointing at the log of its traceback."""
    return f"{type(exc).__name__}: {exc} ({_traceback_log(exc)})"


def _traceback_log(exc: BaseException) -> str:
    """Write the traceback to a log file; ``traceback: <path>``, or why there is none."""
    log = Path(tempfile.gettempdir()) / f"mmm-error-{datetime.now(UTC):%Y%m%dT%H%M%S%f}.log"
    text = "".join(traceback.format_exception(exc))
    try:
        log.write_text(text, encoding="utf-8")
        return f"traceback: {log}"
    except OSError as err:
        return f"no log written ({err.strerror}); run with --debug for the traceback"


def _fail(command: str, as_json: bool, code: int, message: str, label: str):
    message = shown_paths(one_line(message))
    errors.print(f"[red]{label}:[/] {escape(message)}", highlight=False, soft_wrap=True)
    if as_json:
        _emit(
            {
                "command": command,
                "status": label.replace(" ", "_"),
                "exit_code": code,
                "error": message,
            }
        )
    raise typer.Exit(code)


def run(args: list[str]) -> int:
    """Run one ``mmm`` command line and return its exit code.

    Every outcome has one: a command's own, 2 for a command line that does not parse (one line,
    and with ``--json`` the same JSON error object as any other failure), 1 for an internal
    error (one line, the traceback in a log file).
    """
    as_json = "--json" in args
    command = args[0] if args and args[0] in COMMANDS else "mmm"
    try:
        result = app(args=args, prog_name="mmm", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except typer.TyperException as exc:  # the command line itself: unknown option, bad value
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and not as_json:  # `mmm` alone: the help
            app(args=[*args, "--help"], prog_name="mmm", standalone_mode=False)
            return exc.exit_code
        usage = f" (usage: {ctx.get_usage().removeprefix('Usage: ')})" if ctx else ""
        return _exit_code(command, as_json, exc.exit_code, command_line_error(exc) + usage)
    except typer.Abort:
        return _exit_code(command, as_json, 1, "aborted", "error")
    except Exception as exc:
        return _exit_code(command, as_json, 1, _internal(exc), "internal error")


def _exit_code(command: str, as_json: bool, code: int, message: str, label: str = "error") -> int:
    try:
        _fail(command, as_json, code, message, label)
    except typer.Exit as exit_:
        return exit_.exit_code
    return code


COMMANDS = ("fit", "check", "prior", "compare", "optimize", "validate", "init", "schema")
