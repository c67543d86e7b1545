"""The curated prior families, as plain data: names, parameters and which must be positive.

A config names a family (``dist: Gamma``); this table is what validation and the JSON Schema
read. Their SciPy counterparts (bounds solving, medians) live in ``priors.families`` and their
PyMC counterparts (graph building) in ``model.distributions``, each keyed by these names, so
validating a config needs neither SciPy's distributions nor PyMC.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..errors import did_you_mean


@dataclass(frozen=True)
class Family:
    """One prior family: parameter names and which of them must be positive."""

    name: str
    params: tuple[str, ...]
    positive: tuple[str, ...]
    # Parameters a bounds solve leaves fixed (with their values); the rest are solved.
    solve_fixed: dict[str, float] = field(default_factory=dict)

    def check(self, params: dict[str, float]) -> str | None:
        """Return a problem with these parameter values, or None when they are valid."""
        # an unknown parameter first: a misspelt one ('alpa') also makes 'alpha' missing
        extra = [p for p in params if p not in self.params]
        if extra:
            hint = did_you_mean(extra[0], list(self.params)) if len(extra) == 1 else ""
            return (
                f"{self.name} has no parameter {', '.join(map(repr, extra))}{hint} "
                f"(parameters: {', '.join(self.params)})"
            )
        missing = [p for p in self.params if p not in params]
        if missing:
            return f"{self.name} needs {', '.join(missing)} (parameters: {', '.join(self.params)})"
        for p in self.params:
            if not math.isfinite(params[p]):
                return f"{self.name} parameter {p} must be finite"
        for p in self.positive:
            if params[p] <= 0:
                return f"{self.name} parameter {p} must be > 0, got {params[p]:g}"
        if "lower" in params and "upper" in params and params["lower"] >= params["upper"]:
            return f"{self.name} needs lower < upper"
        return None


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in [
        Family("Normal", ("mu", "sigma"), ("sigma",)),
        Family("HalfNormal", ("sigma",), ("sigma",)),
        Family("LogNormal", ("mu", "sigma"), ("sigma",)),
        Family("Gamma", ("alpha", "beta"), ("alpha", "beta")),
        Family("Beta", ("alpha", "beta"), ("alpha", "beta")),
        Family("TruncatedNormal", ("mu", "sigma", "lower", "upper"), ("sigma",)),
        Family("StudentT", ("nu", "mu", "sigma"), ("nu", "sigma"), {"nu": 3.0}),
        Family("HalfStudentT", ("nu", "sigma"), ("nu", "sigma"), {"nu": 3.0}),
        Family("Exponential", ("lam",), ("lam",)),
        Family("Uniform", ("lower", "upper"), ()),
        Family("Laplace", ("mu", "b"), ("b",)),
    ]
}
