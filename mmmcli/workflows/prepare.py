"""What every command does before it models anything: load, validate and resolve the inputs."""

from __future__ import annotations

from pydantic import ValidationError

from ..errors import ConfigError
from ..inputs.calibration import Calibration, load_calibration
from ..inputs.data import ModelData, load_data
from ..model.fixed import fix_calibrated
from ..priors.resolve import PriorSet, resolve_priors, with_calibration_noise
from ..spec.config import Config, Sampler

QUICK = {"chains": 2, "draws": 200, "tune": 200}


def prepare(cfg: Config) -> tuple[ModelData, PriorSet, Calibration]:
    """Load and validate data and calibration, then solve and check every prior (no sampling)."""
    data = load_data(cfg)
    priors = resolve_priors(cfg, data)
    calib = load_calibration(cfg, data)
    priors = with_calibration_noise(priors, calib)
    priors = fix_calibrated(cfg, data, priors, calib)
    return data, priors, calib


def effective_sampler(cfg: Config, *, quick: bool = False, **overrides) -> Sampler:
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
