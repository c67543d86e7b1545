"""Input files: the data CSV and calibration files, read and checked against the spec."""

from .calibration import Calibration, load_calibration
from .data import ModelData, load_data

__all__ = ["Calibration", "ModelData", "load_calibration", "load_data"]
