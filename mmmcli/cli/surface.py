"""How the command line looks and speaks: one style of help and usage for every command, one
phrasing for every error a command line can have, one way of showing paths.

Typer derives a help column from each parameter's Python type (``<bool>`` beside a flag that
takes no value, ``<list[str]>``, ``{run}``); ``Command`` replaces those with the metavars a user
types (``--out DIR``, ``--draws N``, ``RUN``), from one table, so a new option gets the house
style without thinking about it. Every command is declared with ``cls=Command``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup

from ..spec.messages import error_text

# the value a user types after an option, by the option's parameter name
METAVARS = {
    "out": "DIR",
    "draws": "N",
    "tune": "N",
    "chains": "N",
    "seed": "N",
    "cores": "N",
    "jobs": "N",
    "folds": "N",
    "horizon": "N",
    "periods": "N",
    "refresh_from": "RUN",
    "rtol": "X",
    "budget": "AMOUNT",
    "quantile": "Q",
    "bounds": "CHANNEL=LOW:HIGH",
    "spend_bounds": "CHANNEL=LOW:HIGH",
    "experiment": "NAME",
}
BY_TYPE = {"int": "N", "float": "X", "str": "TEXT", "Path": "PATH"}


class _Tidy:
    """Help in the house style: no type beside a flag, ``N``/``DIR``/``RUN`` beside an option,
    ``RUN`` (not ``{run}``) for an argument; the ``--help`` option included."""

    params: list[Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _tidy(self.params)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            _tidy([option])
        return option


class Command(_Tidy, TyperCommand):
    """Every ``mmm`` command (``@app.command(cls=Command)``)."""


class Group(_Tidy, TyperGroup):
    """The ``mmm`` group itself (``--version``, ``--help``)."""


def _tidy(params: list[Any]) -> None:
    for param in params:
        if isinstance(param, TyperArgument):
            if param.metavar is None:
                param.metavar = (param.name or "").upper()
            param.metavar = param.metavar.removesuffix("...")
            # the name says it (CONFIG, RUN); Typer would add the Python type, <list[Path]>
            param.display_type_rich = _no_type
        elif getattr(param, "is_flag", False):
            param.metavar = ""
        elif param.metavar is None:
            param.metavar = METAVARS.get(param.name or "") or _by_type(param)


def _no_type(ctx: Any) -> None:
    return None


def _by_type(param: Any) -> str | None:
    desc = param.type_descriptor
    if desc.is_choice:
        return "|".join(str(getattr(c, "value", c)) for c in desc.choices or ())
    return BY_TYPE.get(param.bare_type())


class _Typed(str):
    """A value as typed on the command line: shown without quotes (``got 0``, not ``got '0'``)."""

    def __repr__(self) -> str:
        return str(self)


def command_line_error(exc: Exception) -> str:
    """A command line that does not parse, phrased as every other error: ``--folds: must be >=
    1, got 0``, ``RUN: required argument is missing``, ``--bogus: no such option``."""
    from typer._click.exceptions import BadParameter, MissingParameter, NoSuchOption

    if isinstance(exc, NoSuchOption):
        close = sorted(exc.possibilities or [])
        hint = f" (did you mean {' or '.join(close)}?)" if close else ""
        return f"{exc.option_name}: no such option{hint}"
    param = getattr(exc, "param", None)
    if not isinstance(exc, BadParameter) or param is None:
        return exc.format_message() if isinstance(exc, typer.TyperException) else str(exc)
    longs = [o for o in param.opts if o.startswith("--")]
    where = longs[0] if longs else (param.metavar or param.name or "").upper()
    if isinstance(exc, MissingParameter):
        return f"{where}: required {'option' if longs else 'argument'} is missing"
    cause = exc.__cause__ or exc.__context__
    if hasattr(cause, "errors"):
        err = dict(cause.errors(include_url=False)[0])
        if isinstance(err.get("input"), str):
            err["input"] = _Typed(err["input"])
        return f"{where}: {error_text(err).rstrip('.')}"
    return f"{where}: {exc.message.removeprefix('Value error, ').rstrip('.')}"


def shown_paths(message: str) -> str:
    """Paths under the working directory shown relative to it, whichever layer wrote the
    message (a config as typed, a data file resolved against its config, a run folder): the
    form a user can paste back, the same in every message."""
    cwd = str(Path.cwd())
    return message if cwd == "/" else message.replace(cwd + "/", "")
