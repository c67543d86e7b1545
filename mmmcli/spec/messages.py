"""One line from pydantic's list of validation errors: the one a person should read first.

pydantic reports every problem it finds, in field order. A misspelt required key produces two:
"``channels``: required key is missing" and "``chanels``: unknown key". The first is true but
useless (the user did write the block); the second says what happened. So an unknown key that is
within edit distance of a missing sibling is reported instead of the missing key, with "did you
mean", at every depth, and the pair counts as one problem in "(and N more)".
"""

from __future__ import annotations

import difflib
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import did_you_mean


def first_error_text(exc: ValidationError, root: type[BaseModel] | None = None) -> str:
    """``key.path: what is wrong (and N more)`` for the error a person should read first."""
    # a block given where a number is also allowed: "not a number" is not news
    errors = [
        e
        for e in exc.errors(include_url=False)
        if not (e["loc"] and e["loc"][-1] == "float" and isinstance(e["input"], dict))
    ] or exc.errors(include_url=False)
    paired = _misspelt(errors)
    if paired is not None:
        err, missing = paired
        rest = len(errors) - 2
        loc = _where(err["loc"])
        text = f"unknown key (did you mean {missing!r}?)"
    else:
        err = errors[0]
        rest = len(errors) - 1
        loc = _where(err["loc"])
        text = error_text(err)
        if err["type"] == "extra_forbidden" and root is not None:
            text = "unknown key" + did_you_mean(str(err["loc"][-1]), _siblings(root, err["loc"]))
    more = f" (and {rest} more)" if rest > 0 else ""
    return f"{loc}: {text}{more}" if loc else f"{text}{more}"


# pydantic's wording ("Input should be a valid dictionary or instance of Saturation") in the
# tool's one phrasing for each kind of problem: "must be <what>, got <value>".
_KINDS = {
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "text",
    "path_type": "a path (text)",
    "model_type": "a block of keys (a mapping)",
    "model_attributes_type": "a block of keys (a mapping)",
    "dict_type": "a block of keys (a mapping)",
    "list_type": "a list",
    "tuple_type": "a list",
}
_BOUNDS = {
    "greater_than": ">",
    "greater_than_equal": ">=",
    "less_than": "<",
    "less_than_equal": "<=",
}


def error_text(err: Any) -> str:
    """One pydantic error in the tool's words (no location): "must be >= 1, got 0"."""
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    got = f", got {value!r}" if not isinstance(value, dict | list) else ""
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return "unknown key"
    if kind in _KINDS:
        return f"must be {_KINDS[kind]}{got}"
    if kind in _BOUNDS:
        limit = next(iter(ctx.values()), "")
        return f"must be {_BOUNDS[kind]} {limit}{got}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}{got}"
    if kind == "string_pattern_mismatch":
        return f"must match {ctx.get('pattern', '')}{got}"
    if kind in ("too_short", "too_long"):
        bound = "at least" if kind == "too_short" else "at most"
        n = ctx.get("min_length" if kind == "too_short" else "max_length")
        return f"must have {bound} {n} item{'s' if n != 1 else ''}"
    return str(err["msg"]).removeprefix("Value error, ")


def _misspelt(errors: list[Any]) -> tuple[Any, str] | None:
    """The first unknown key that is a misspelling of a required key missing beside it."""
    unknown = [e for e in errors if e["type"] == "extra_forbidden"]
    for err in errors:
        if err["type"] != "missing":
            continue
        parent, key = _clean(err["loc"])[:-1], str(err["loc"][-1])
        for extra in unknown:
            where = _clean(extra["loc"])
            if where[:-1] == parent and difflib.get_close_matches(
                str(where[-1]), [key], n=1, cutoff=0.6
            ):
                return extra, key
    return None


def _clean(loc: tuple) -> tuple:
    """The key path without pydantic's union and validator tags."""
    return tuple(p for p in loc if not _is_union_tag(p))


def _where(loc: tuple) -> str:
    return ".".join(str(p) for p in _clean(loc))


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and (part in {"Prior", "float"} or "[" in part)


def _siblings(root: type[BaseModel], loc: tuple) -> list[str]:
    """Field names of the model that holds the last element of ``loc`` (for suggestions)."""
    model: Any = root
    skip_key = False
    for part in _clean(loc)[:-1]:
        if skip_key:  # a mapping key such as a channel name
            skip_key = False
            continue
        if isinstance(part, int):  # an item of a list of blocks (calibration)
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = _field(model, str(part))
        if field is None:
            return []
        annotation = field.annotation
        skip_key = typing.get_origin(annotation) is dict
        model = _unwrap(annotation)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _field(model: type[BaseModel], key: str) -> Any:
    """The field named ``key`` in the YAML (its alias, such as refresh's ``from``) or in Python."""
    for name, f in model.model_fields.items():
        if key in (name, f.alias):
            return f
    return None


def _unwrap(annotation: Any) -> Any:
    """The pydantic model inside ``X | None``, ``list[X]`` or ``dict[str, X]``."""
    for arg in [annotation, *typing.get_args(annotation)][::-1]:
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return annotation
