"""The ``mmm`` command line: parse options, call the library, render, map errors to exit codes.

Human output goes to stderr (rich); ``--json`` prints one result object on stdout.
Exit codes: 0 ok, 1 internal error, 2 bad input, 3 convergence checks failed, 4 compare found
drift, 75 another run of the config holds the lock, 130/143 interrupted.
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
from rich.table import Table

from .errors import MMMError
from .interrupts import Interrupted, raise_on_signals

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Bayesian Marketing Mix Modeling from a YAML file.",
)
errors = Console(stderr=True)


class Engine(StrEnum):
    nutpie = "nutpie"
    pymc = "pymc"


ConfigArg = Annotated[Path, typer.Argument(help="The model's YAML config.")]
OutOpt = Annotated[
    Path | None, typer.Option(help="Runs folder (default: the config's output.dir).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON result object on stdout.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr (cron).")]
DebugOpt = Annotated[bool, typer.Option(help="Show tracebacks.")]


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    """Bayesian Marketing Mix Modeling from a YAML file."""
    if version:
        from . import __version__

        typer.echo(__version__)
        raise typer.Exit(0)


@app.command()
def fit(
    config: ConfigArg,
    out: OutOpt = None,
    quick: Annotated[
        bool, typer.Option(help="Smoke run: 2 chains x 200 tune + 200 draws, no gate.")
    ] = False,
    draws: Annotated[int | None, typer.Option(help="Posterior draws per chain.")] = None,
    tune: Annotated[int | None, typer.Option(help="Tuning steps per chain.")] = None,
    chains: Annotated[int | None, typer.Option(help="Number of chains.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed.")] = None,
    engine: Annotated[Engine | None, typer.Option(help="NUTS engine.")] = None,
    if_changed: Annotated[
        bool,
        typer.Option(help="Skip the fit when config, data and options match the newest run."),
    ] = False,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Fit CONFIG and write a run folder; exit 0 ok, 2 bad input, 3 convergence checks failed."""
    from .pipeline import fit as run_fit

    console = _console(quiet)

    def go():
        with raise_on_signals():
            return run_fit(
                config,
                out=out,
                quick=quick,
                if_changed=if_changed,
                console=console,
                progress=not quiet,
                draws=draws,
                tune=tune,
                chains=chains,
                seed=seed,
                engine=engine.value if engine else None,
            )

    outcome = _guard(go, debug, as_json, "fit")
    if as_json:
        _emit(outcome.to_json())
    elif not outcome.skipped:
        _print_channels(console, outcome.channels)
    raise typer.Exit(outcome.exit_code)


@app.command()
def check(
    config: ConfigArg,
    out: OutOpt = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Validate config, data and calibration, solve bounded priors, print the plan; no sampling."""
    from .plan import check as run_check

    plan = _guard(lambda: run_check(config, out=out), debug, as_json, "check")
    if as_json:
        _emit(plan)
    else:
        _print_plan(_console(quiet), plan)


@app.command()
def prior(
    config: ConfigArg,
    out: OutOpt = None,
    draws: Annotated[int, typer.Option(help="Prior predictive draws.")] = 500,
    seed: Annotated[int | None, typer.Option(help="Random seed (default: the sampler's).")] = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Prior predictive check: the target, contribution shares and ROAS/CPA the priors imply."""
    from .prior_predictive import prior_check

    result = _guard(
        lambda: prior_check(config, out=out, draws=draws, seed=seed), debug, as_json, "prior"
    )
    if as_json:
        _emit(result)
        return
    console = _console(quiet)
    table = Table(title="Prior predictive (94% range)", title_justify="left")
    for col in ("quantity", "channel", "low", "median", "high"):
        table.add_column(col, justify="left" if col in ("quantity", "channel") else "right")
    for r in result["summary"]:
        table.add_row(
            r["quantity"], r["channel"], _num(r["low"]), _num(r["median"]), _num(r["high"])
        )
    console.print(table)
    share = result["observed_outside_share"]
    if result["flagged"]:
        console.print(
            f"[yellow]warning:[/] the observed target is outside the prior predictive "
            f"94% range in {share:.0%} of periods: the priors do not cover the data"
        )
    else:
        console.print(
            f"The observed target is inside the prior predictive 94% range in "
            f"{1 - share:.0%} of periods."
        )
    console.print(f"Prior folder: {result['run_dir']}")


@app.command()
def compare(
    run: Annotated[Path, typer.Argument(help="Run folder, runs/<name> or .../latest.")],
    baseline: Annotated[Path, typer.Argument(help="Baseline run folder, or .../latest.")],
    rtol: Annotated[float, typer.Option(help="Relative change that counts as drift.")] = 0.1,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Compare two runs' channel effects, ROAS/CPA and fit; exit 4 when something drifted."""
    from .compare import compare_runs, resolve_run

    result = _guard(
        lambda: compare_runs(resolve_run(run), resolve_run(baseline), rtol=rtol),
        debug,
        as_json,
        "compare",
    )
    if as_json:
        _emit(result.to_json())
    else:
        _print_comparison(_console(quiet), result)
    raise typer.Exit(4 if result.drifted else 0)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create the project in.")],
    debug: DebugOpt = False,
) -> None:
    """Scaffold a working config with sample data (and experiment files) in DIRECTORY."""
    from .scaffold import scaffold

    written = _guard(lambda: scaffold(directory), debug, False, "init")
    console = _console(False)
    for path in written:
        console.print(f"wrote {path}")
    console.print(f"Next: mmm check {written[0]} && mmm fit {written[0]}")


@app.command()
def schema() -> None:
    """Print the config's JSON Schema (for editor validation of YAML files)."""
    from .config import Config

    _emit(Config.model_json_schema())


# ---------------------------------------------------------------- rendering


def _console(quiet: bool) -> Console:
    return Console(stderr=True, quiet=quiet)


def _emit(obj: Any) -> None:
    from .jsonsafe import clean_json

    sys.stdout.write(json.dumps(clean_json(obj), indent=2) + "\n")


def _print_channels(console: Console, channels) -> None:
    metric = "roas" if "roas_mean" in channels else "cpa"
    table = Table(title="Channels (fitted periods)", title_justify="left")
    for col in ("channel", "spend", "contribution", "share", metric.upper(), "calibrated"):
        table.add_column(col, justify="left" if col in ("channel", "calibrated") else "right")
    for row in channels.itertuples():
        table.add_row(
            row.channel,
            f"{row.spend:,.0f}",
            f"{row.contribution_mean:,.0f} "
            f"[{row.contribution_hdi_low:,.0f}, {row.contribution_hdi_high:,.0f}]",
            f"{row.share_mean:.1%}",
            f"{getattr(row, metric + '_mean'):,.3g} [{getattr(row, metric + '_hdi_low'):,.3g}, "
            f"{getattr(row, metric + '_hdi_high'):,.3g}]",
            str(row.calibrated),
        )
    console.print(table)


def _print_plan(console: Console, plan: dict) -> None:
    d = plan["data"]
    console.print(
        f"[bold]{plan['name']}[/] ({plan['config']}): config, data and calibration are valid "
        f"({plan['seconds']:.1f} s)"
    )
    console.print(
        f"data: {d['path']}: {d['rows']} rows, {d['start']} to {d['end']} ({d['frequency']}); "
        f"fitting {d['fitted_rows']}, holdout {d['holdout_rows']}; target {d['target']} "
        f"({d['kind']})"
    )
    table = Table(title="Channels", title_justify="left")
    for col in (
        "channel",
        "spend column",
        "spend",
        "spend scale",
        "adstock",
        "saturation",
        "calibrated",
    ):
        table.add_column(col)
    for ch in plan["channels"]:
        table.add_row(
            ch["channel"],
            ch["spend_column"],
            f"{ch['spend_total']:,.0f}",
            f"{ch['spend_scale']:,.4g}",
            ch["adstock"],
            ch["saturation"],
            ch["calibrated"],
        )
    console.print(table)
    priors = Table(title="Priors", title_justify="left")
    for col in ("parameter", "source", "dist", "params", "achieved mass"):
        priors.add_column(col)
    for p in plan["priors"]:
        mass = p["achieved_mass"]
        priors.add_row(
            p["parameter"],
            p["source"],
            p["dist"],
            p["params"],
            "" if mass is None else f"{mass:.3f}",
        )
    console.print(priors)
    for c in plan["calibration"]:
        where = f", window {c['window']}" if "window" in c else f", {c['observations']} periods"
        console.print(f"calibration: {c['source']}: {c['channel']} ({c['method']}{where})")
    for w in plan["warnings"]:
        console.print(f"[yellow]warning:[/] {w}", highlight=False)
    s = plan["sampler"]
    console.print(
        f"sampler: {s['engine']}, {s['chains']} chains x {s['tune']} tune + {s['draws']} draws, "
        f"target_accept {s['target_accept']}, seed {s['seed']}; runs go to {plan['runs_folder']}"
    )


def _print_comparison(console: Console, result) -> None:
    table = Table(title="Compared with the baseline", title_justify="left")
    for col in ("quantity", "of", "baseline", "current", "change", "HDIs overlap", "drifted"):
        table.add_column(col, overflow="fold")
    for r in result.rows:
        change = r.get("rel_change")
        table.add_row(
            str(r["quantity"]),
            str(r["channel_or_component"]),
            _num(r.get("baseline")),
            _num(r.get("current")),
            "" if change is None else f"{change:+.1%}",
            {True: "yes", False: "no", None: r.get("dates_drifted", "")}[r.get("hdi_overlap")],
            "[red]DRIFT[/]" if r["drifted"] else "",
        )
    console.print(table)
    for note in result.notes:
        console.print(f"note: {note}")
    console.print("[red]Drift found.[/]" if result.drifted else "No drift.")


def _num(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return f"{value:,.4g}"


# ---------------------------------------------------------------- errors


def _guard(action: Callable, debug: bool, as_json: bool, command: str):
    """Run ``action``; turn known errors into one line (or a JSON object) and their exit code."""
    try:
        return action()
    except MMMError as exc:
        if debug:
            traceback.print_exc()
        _fail(command, as_json, exc.exit_code, str(exc), "error")
    except Interrupted as exc:
        done = (
            f"the run was already complete: {exc.written}"
            if exc.written
            else ("nothing was written")
        )
        _fail(command, as_json, exc.exit_code, f"{exc}; {done}", "interrupted")
    except KeyboardInterrupt:
        _fail(command, as_json, 130, "interrupted; nothing was written", "interrupted")
    except Exception as exc:  # an internal error: one line, traceback in a log
        if debug:
            raise
        log = Path(tempfile.gettempdir()) / f"mmm-error-{datetime.now(UTC):%Y%m%dT%H%M%S%f}.log"
        log.write_text(traceback.format_exc(), encoding="utf-8")
        _fail(
            command,
            as_json,
            1,
            f"internal error: {type(exc).__name__}: {exc} (traceback: {log})",
            "internal error",
        )


def _fail(command: str, as_json: bool, code: int, message: str, label: str):
    errors.print(f"[red]{label}:[/] {message}", highlight=False, soft_wrap=True)
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


def main() -> None:
    """Console-script entry point.

    Once the command has returned and its output is flushed the process ends with
    ``os._exit``: every file is already closed and committed, and the interpreter's teardown of
    PyMC's, PyTensor's and numba's module state cost about half a second per run.
    """
    try:
        app()
        code = 0
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
