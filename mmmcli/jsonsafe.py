"""JSON-safe values (light: no PyMC import), shared by the writers, the CLI and compare."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np


def clean_json(obj: Any) -> Any:
    """Recursively: numpy scalars to Python, NaN/inf to ``None``, paths to strings."""
    if isinstance(obj, dict):
        return {str(k): clean_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean_json(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj
