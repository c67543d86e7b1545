"""Adstock and saturation types as plain data: the ``type`` a config selects and its parameters.

Units (see README): spend enters divided by the channel's spend scale, so ``x = 1`` is a typical
period's spend. Adstock weights are normalised to sum to 1 (adstocked spend stays in spend
units); saturating curves map ``x >= 0`` into ``[0, 1)``, and the channel coefficient multiplies
them, so it is the per-period ceiling in target units. ``saturation: none`` returns adstocked
spend in spend units, so the coefficient is then target units per unit of spend.

The formulas themselves are tensor functions in ``model.transforms``, keyed by these names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Param:
    """A transform parameter: its domain, a default prior and its unit (for priors.csv)."""

    name: str
    domain: str  # "unit" (0, 1) or "positive" (0, inf)
    default: dict[str, Any]
    unit: str


@dataclass(frozen=True)
class Transform:
    """One adstock or saturation type and its parameters."""

    name: str
    params: tuple[Param, ...] = field(default_factory=tuple)
    formula: str = ""
    # saturation only: the curve is bounded in [0, 1), so the coefficient is a ceiling
    bounded: bool = True


_ALPHA = Param("alpha", "unit", {"dist": "Beta", "alpha": 1, "beta": 3}, "retention/period")
_K = Param("k", "positive", {"dist": "Gamma", "alpha": 4, "beta": 4}, "spend_scale")

ADSTOCKS: dict[str, Transform] = {
    t.name: t
    for t in [
        Transform("none", formula="w = [1, 0, ..., 0]"),
        Transform("geometric", (_ALPHA,), "w_l = alpha**l, normalised"),
        Transform(
            "delayed",
            (
                _ALPHA,
                Param("theta", "positive", {"dist": "HalfNormal", "sigma": 2}, "periods to peak"),
            ),
            "w_l = alpha**((l - theta)**2), normalised",
        ),
        Transform(
            "weibull",
            (
                Param(
                    "shape", "positive", {"dist": "Gamma", "alpha": 2, "beta": 2}, "dimensionless"
                ),
                Param("scale", "positive", {"dist": "Gamma", "alpha": 2, "beta": 1}, "periods"),
            ),
            "w_l = exp(-(l / scale)**shape), normalised",
        ),
    ]
}

SATURATIONS: dict[str, Transform] = {
    t.name: t
    for t in [
        Transform("none", formula="x * spend_scale", bounded=False),
        Transform(
            "logistic",
            (Param("lam", "positive", {"dist": "Gamma", "alpha": 3, "beta": 2}, "1/spend_scale"),),
            "(1 - exp(-lam x)) / (1 + exp(-lam x))",
        ),
        Transform(
            "hill",
            (
                _K,
                Param(
                    "slope", "positive", {"dist": "Gamma", "alpha": 6, "beta": 4}, "dimensionless"
                ),
            ),
            "x**slope / (x**slope + k**slope)",
        ),
        Transform("michaelis_menten", (_K,), "x / (x + k)"),
    ]
}
