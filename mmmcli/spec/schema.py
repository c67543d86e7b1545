"""The config's JSON Schema, as a YAML file is written (``mmm schema``; editors validate with it).

pydantic derives most of it from the models in ``config.py``. What it cannot see is written
here: the shorthands a config may use (``trend: linear`` for ``trend: {type: linear}``), a
prior's family parameters given inline beside ``dist``, and an adstock or saturation block whose
parameters depend on its ``type``. Each model that accepts such a form points its
``__get_pydantic_json_schema__`` here, so the schema and the validation have one source: the
registries in ``families.py`` and ``transforms.py``. tests/cli/test_schema.py validates every
config the repo ships or generates against the schema with a real JSON Schema validator.
"""

from __future__ import annotations

from typing import Any

from .families import FAMILIES
from .transforms import Transform

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def prior_json_schema(time_varying: bool = False) -> dict[str, Any]:
    """A prior: ``{dist: <family>, <its parameters>}`` or ``{bounds: ...}`` (and, for a
    coefficient, ``time_varying`` beside either, or alone)."""
    variants: list[dict[str, Any]] = []
    extra = {"time_varying": _time_varying()} if time_varying else {}
    for name, fam in FAMILIES.items():
        props: dict[str, Any] = {"dist": {"const": name}, **extra}
        props.update({p: {"type": "number"} for p in fam.params})
        variants.append(
            {
                "type": "object",
                "title": name,
                "properties": props,
                "required": ["dist", *fam.params],
                "additionalProperties": False,
            }
        )
    bounds = {
        "type": "object",
        "properties": {
            "dist": {"enum": list(FAMILIES)},
            "lower": {"type": "number"},
            "upper": {"type": "number"},
            "mass": {
                "type": "number",
                "exclusiveMinimum": 0,
                "exclusiveMaximum": 1,
                "default": 0.95,
            },
        },
        "required": ["lower", "upper"],
        "additionalProperties": False,
    }
    variants.append(
        {
            "type": "object",
            "title": "bounds",
            "properties": {"bounds": bounds, **extra},
            "required": ["bounds"],
            "additionalProperties": False,
        }
    )
    if time_varying:  # the default prior, drifting
        variants.append(
            {
                "type": "object",
                "title": "time_varying only",
                "properties": extra,
                "required": ["time_varying"],
                "additionalProperties": False,
            }
        )
    return {"oneOf": variants, "description": "A prior: explicit family and parameters, or bounds"}


def _time_varying() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"type": {"const": "grw"}, "sigma": prior_json_schema()},
        "additionalProperties": False,
        "description": "A Gaussian random walk, one step per period; sigma: its step's prior",
    }


def transform_json_schema(
    registry: dict[str, Transform], fields: dict[str, Any], doc: str
) -> dict[str, Any]:
    """An adstock or saturation block: one variant per registered ``type``, each with that
    type's parameters (a number holds one fixed, a prior lets it be learnt) and the block's own
    fields (``fields``, e.g. adstock's ``max_lag``). No ``type`` means ``none``; the type's name
    alone (``saturation: hill``) is the block with its default parameters."""
    number_or_prior = {"anyOf": [{"type": "number"}, prior_json_schema()]}
    variants = []
    for name, t in registry.items():
        kind = {"const": name} if name != "none" else {"const": "none", "default": "none"}
        props: dict[str, Any] = {"type": kind, **fields}
        props.update({p.name: {**number_or_prior, "description": p.unit} for p in t.params})
        variant: dict[str, Any] = {
            "type": "object",
            "title": name,
            "properties": props,
            "additionalProperties": False,
        }
        if name != "none":
            variant["required"] = ["type"]
        else:  # {} or {type: none}, and for adstock {max_lag: 4}
            variant["properties"]["type"] = {"const": "none"}
        if t.formula:
            variant["description"] = t.formula
        variants.append(variant)
    return shorthand_json_schema({"oneOf": variants}, list(registry), doc)


def shorthand_json_schema(block: dict[str, Any], values: list[str], doc: str) -> dict[str, Any]:
    """A block that may also be written as one of ``values`` (``trend: linear``)."""
    return {"anyOf": [{"enum": values}, block], "description": doc}


def with_dialect(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with ``$schema`` naming its dialect (what editors and validators read first)."""
    return {"$schema": DIALECT, **schema}
