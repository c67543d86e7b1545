"""Priors: bounds solved, data-scaled defaults, one resolved prior per model variable."""

from .bounds import solve_bounds
from .resolve import PriorSet, ResolvedPrior, resolve_one, resolve_priors, with_calibration_noise

__all__ = [
    "PriorSet",
    "ResolvedPrior",
    "resolve_one",
    "resolve_priors",
    "solve_bounds",
    "with_calibration_noise",
]
