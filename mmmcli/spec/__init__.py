"""The model specification: the typed, validated config and the registries it names.

Importing this package never imports PyMC or PyTensor: a config can be validated (and its JSON
Schema printed) on a machine without the modelling stack loaded.
"""

from .config import Config, load_config, validate_config

__all__ = ["Config", "load_config", "validate_config"]
