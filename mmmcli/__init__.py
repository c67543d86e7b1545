"""mmm: Bayesian Marketing Mix Modeling driven by a YAML file.

Library use::

    from mmmcli import load_config, fit
    result = fit(load_config("configs/example.yaml"))
"""

from .config import Config, load_config
from .errors import MMMError

__version__ = "0.1.0"
__all__ = ["Config", "MMMError", "__version__", "fit", "load_config"]


def fit(config, **kwargs):
    """Fit ``config`` and write its run folder; see :func:`mmmcli.pipeline.fit`."""
    from .pipeline import fit as _fit

    return _fit(config, **kwargs)
