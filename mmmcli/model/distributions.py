"""PyMC counterparts of the prior families (``spec.families``), keyed by the same names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pymc as pm

from ..spec.families import FAMILIES

PYMC: dict[str, Callable[..., Any]] = {
    "Normal": pm.Normal,
    "HalfNormal": pm.HalfNormal,
    "LogNormal": pm.LogNormal,
    "Gamma": pm.Gamma,
    "Beta": pm.Beta,
    "TruncatedNormal": pm.TruncatedNormal,
    "StudentT": pm.StudentT,
    "HalfStudentT": pm.HalfStudentT,
    "Exponential": pm.Exponential,
    "Uniform": pm.Uniform,
    "Laplace": pm.Laplace,
}
assert PYMC.keys() == FAMILIES.keys(), "every family needs its PyMC counterpart"


def build(dist: str, name: str, params: dict[str, Any], **kwargs: Any) -> Any:
    """Create the PyMC random variable ``name`` of family ``dist`` in the current model."""
    return PYMC[dist](name, **params, **kwargs)
