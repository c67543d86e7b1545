"""mmm: Bayesian Marketing Mix Modeling driven by a YAML file.

The package is the pipeline, one folder per step, each importing only from the ones above it in
this list (``tests/test_layers.py`` enforces it):

    errors, interrupts, jsonsafe, version   foundations every layer may use
    spec/        the typed config and the registries it names (no PyMC)
    inputs/      data and calibration files, read and checked against the spec
    priors/      bounds solved, data-scaled defaults, one resolved prior per variable
    model/       the PyMC graph: transforms, distributions, calibration likelihoods
    sampling/    compile (cached for nutpie) and run NUTS
    analysis/    diagnostics, results, prior-data conflict, prior predictive, compare
    decisions/   response to new spend: curves, marginal ROAS/CPA, budget allocation
    runs/        run folders, lock, fingerprints, files and plots
    report/      report.html of a run folder, read from its files (Jinja2)
    tracking/    a finished run logged to MLflow (optional extra)
    workflows/   the commands' orchestration: fit, check, prior, optimize, validate, init
    cli/         the ``mmm`` command line (Typer), a thin layer over workflows

Library use::

    from mmmcli import load_config, fit
    result = fit(load_config("configs/example.yaml"))

Importing the package itself is instant (its names load on first use), so the ``mmm`` command
can take charge of signals before anything heavy is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import MMMError
from .version import __version__

if TYPE_CHECKING:
    from .spec.config import Config, load_config

__all__ = ["Config", "MMMError", "__version__", "fit", "load_config"]


def fit(config: Config | str, **kwargs: Any) -> Any:
    """Fit ``config`` and write its run folder; see :func:`mmmcli.workflows.fit.fit`."""
    from .workflows.fit import fit as _fit

    return _fit(config, **kwargs)


def __getattr__(name: str) -> Any:
    if name in ("Config", "load_config"):
        from .spec import config

        return getattr(config, name)
    raise AttributeError(f"module 'mmmcli' has no attribute {name!r}")
