"""The PyMC model: transforms, distributions, graph building, calibration terms."""

from .build import build_model, check_initial_point, data_values
from .fixed import fix_calibrated

__all__ = ["build_model", "check_initial_point", "data_values", "fix_calibrated"]
