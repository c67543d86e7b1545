"""The ``mmm`` command line: parse options, call the library, render, map errors to exit codes."""

from __future__ import annotations

import sys
import tempfile
import traceback
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .errors import MMMError

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Bayesian Marketing Mix Modeling from a YAML file.",
)
console = Console(stderr=True)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    """Bayesian Marketing Mix Modeling from a YAML file."""
    if version:
        from . import __version__

        typer.echo(__version__)
        raise typer.Exit(0)


class Engine(StrEnum):
    nutpie = "nutpie"
    pymc = "pymc"


@app.command()
def fit(
    config: Annotated[Path, typer.Argument(help="The model's YAML config.")],
    out: Annotated[
        Path | None, typer.Option(help="Runs folder (default: the config's output.dir).")
    ] = None,
    quick: Annotated[
        bool, typer.Option(help="Smoke run: 2 chains x 200 tune + 200 draws, no gate.")
    ] = False,
    draws: Annotated[int | None, typer.Option(help="Posterior draws per chain.")] = None,
    tune: Annotated[int | None, typer.Option(help="Tuning steps per chain.")] = None,
    chains: Annotated[int | None, typer.Option(help="Number of chains.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed.")] = None,
    engine: Annotated[Engine | None, typer.Option(help="NUTS engine.")] = None,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Fit CONFIG and write a run folder; exit 0 ok, 2 bad input, 3 convergence checks failed."""
    from .pipeline import fit as run_fit

    def go():
        return run_fit(
            config,
            out=out,
            quick=quick,
            console=console,
            draws=draws,
            tune=tune,
            chains=chains,
            seed=seed,
            engine=engine.value if engine else None,
        )

    outcome = _guard(go, debug)
    _print_channels(outcome.channels)
    raise typer.Exit(outcome.exit_code)


def _print_channels(channels) -> None:
    metric = "roas" if "roas_mean" in channels else "cpa"
    table = Table(title="Channels (fitted periods)", title_justify="left")
    for col in ("channel", "spend", "contribution", "share", metric.upper()):
        table.add_column(col, justify="left" if col == "channel" else "right")
    for row in channels.itertuples():
        table.add_row(
            row.channel,
            f"{row.spend:,.0f}",
            f"{row.contribution_mean:,.0f} "
            f"[{row.contribution_hdi_low:,.0f}, {row.contribution_hdi_high:,.0f}]",
            f"{row.share_mean:.1%}",
            f"{getattr(row, metric + '_mean'):,.3g} [{getattr(row, metric + '_hdi_low'):,.3g}, "
            f"{getattr(row, metric + '_hdi_high'):,.3g}]",
        )
    console.print(table)


def _guard(action, debug: bool):
    """Run ``action``; turn known errors into one line and their exit code."""
    try:
        return action()
    except MMMError as exc:
        if debug:
            traceback.print_exc()
        console.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        console.print("[red]interrupted[/]")
        raise typer.Exit(130) from None
    except Exception as exc:  # an internal error: one line, traceback in a log
        if debug:
            raise
        log = Path(tempfile.gettempdir()) / f"mmm-error-{datetime.now(UTC):%Y%m%dT%H%M%S}.log"
        log.write_text(traceback.format_exc(), encoding="utf-8")
        console.print(
            f"[red]internal error:[/] {type(exc).__name__}: {exc} (traceback: {log})",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1) from None


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except SystemExit as exc:
        sys.exit(exc.code)
