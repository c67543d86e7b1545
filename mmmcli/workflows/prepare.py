"""What every command does before it samples anything: the one validation pass.

``mmm check`` and ``mmm fit`` call the same two steps, so whatever ``check`` accepts, ``fit``
accepts: :func:`prepare` loads and checks the data and calibration files and resolves every
prior; :func:`ready_model` builds the model, evaluates it at its initial point and checks that
the runs folder can take a run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pymc as pm
from pydantic import ValidationError

from ..decisions.allocate import limits
from ..errors import ConfigError, ModelError, PriorError, UsageError
from ..inputs.calibration import Calibration, load_calibration
from ..inputs.data import ModelData, load_data
from ..inputs.screening import Finding, screen
from ..model.build import build_model, check_initial_point
from ..model.fixed import fix_calibrated
from ..priors.resolve import PriorSet, resolve_priors, with_calibration_noise
from ..runs.folder import check_latest, check_writable
from ..spec.config import Config, Sampler

QUICK = {"chains": 2, "draws": 200, "tune": 200}


def prepare(cfg: Config) -> tuple[ModelData, PriorSet, Calibration]:
    """Load and validate data and calibration, then solve and check every prior (no sampling)."""
    data = load_data(cfg)
    calib = load_calibration(cfg, data)
    try:
        priors = resolve_priors(cfg, data)
        priors = with_calibration_noise(priors, calib)
        priors = fix_calibrated(cfg, data, priors, calib)
    except PriorError as exc:
        raise PriorError(f"{cfg.source}: {exc}") from None
    if cfg.optimize is not None:  # checked against the data now, not after sampling
        try:
            limits(list(cfg.channels), data.spend, cfg.optimize)
        except UsageError as exc:
            raise ConfigError(f"{cfg.source}: optimize.{exc}") from None
    return data, priors, calib


def ready_model(
    cfg: Config, data: ModelData, priors: PriorSet, calib: Calibration, parent: Path
) -> pm.Model:
    """The model, checked at its initial point, and a runs folder ready to take its run."""
    model = build_model(cfg, data, priors, calib)
    try:
        check_initial_point(model)
    except ModelError as exc:
        raise ModelError(f"{cfg.source}: {exc}") from None
    check_writable(parent)
    check_latest(parent)
    return model


def screen_model(data: ModelData, model: pm.Model) -> list[Finding]:
    """What the data alone show against this model (``inputs.screening``): correlated, flat,
    sparse or small channels and more free parameters than the periods can carry."""
    return screen(data, free_dimensions(model))


def free_dimensions(model: pm.Model) -> dict[str, int]:
    """Each free parameter's number of scalar dimensions (a vector counts by element)."""
    shapes = model.eval_rv_shapes()
    return {rv.name: int(np.prod(shapes[rv.name])) for rv in model.free_RVs}


def effective_sampler(cfg: Config, *, quick: bool = False, **overrides: object) -> Sampler:
    """The config's sampler settings with ``--quick`` and command-line overrides applied."""
    values = cfg.sampler.model_dump()
    if quick:
        values.update(QUICK)
    given = {k: v for k, v in overrides.items() if v is not None}
    values.update(given)
    try:
        return Sampler.model_validate(values)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        key = str(err["loc"][0]) if err["loc"] else ""
        where = f"--{key}" if key in given else f"{cfg.source}: sampler.{key}"
        raise ConfigError(f"{where}: {err['msg']}") from None
