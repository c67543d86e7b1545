"""What every command does before it samples anything: the one validation pass.

``mmm check`` and ``mmm fit`` call the same two steps, so whatever ``check`` accepts, ``fit``
accepts: :func:`prepare` loads and checks the data and calibration files and resolves every
prior; :func:`ready_model` builds the model, evaluates it at its initial point and checks that
the runs folder can take a run. ``fit`` and ``validate`` leave the evaluation to
:func:`ready_sampler`, which asks the compiled sampler first and refuses only what ``check``'s
evaluation refuses.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pymc as pm
from pydantic import ValidationError
from rich.console import Console

from ..analysis.diagnostics import sampler_problem
from ..decisions.allocate import check_quantile, limits
from ..errors import ConfigError, ModelError, PriorError, UsageError
from ..inputs.calibration import Calibration, load_calibration
from ..inputs.data import ModelData, load_data
from ..inputs.screening import Finding, screen, target_support
from ..model.build import build_model, check_initial_point
from ..model.fixed import fix_calibrated
from ..priors.overlap import counted_twice, overlap, overlap_warnings, refusal
from ..priors.refresh import refreshed
from ..priors.resolve import PriorSet, resolve_priors, with_calibration_noise
from ..runs.folder import check_latest, check_writable
from ..runs.previous import load_previous
from ..sampling.engines import ReadySampler, prepare_sampler
from ..spec import names
from ..spec.config import Config, Refresh, Sampler
from ..spec.messages import error_text

QUICK = {"chains": 2, "draws": 200, "tune": 200}
MAX_REFRESH_CHAIN = 10_000  # a chain of refreshes is followed back at most this far


def prepare(
    cfg: Config, data: ModelData | None = None, *, refresh_option: str | None = None
) -> tuple[ModelData, PriorSet, Calibration]:
    """Load and validate data and calibration, then solve and check every prior (no sampling);
    with a ``refresh:`` block, the earlier run's posterior replaces the priors it covers.

    ``data``: an already loaded window of the data (a validation fold); experiments dated after
    its fitted periods are then left out, with a warning, rather than refused, and a refresh is
    not applied (the earlier posterior has seen the fold's test periods). ``refresh_option``:
    the command-line option the refresh came from (``--refresh-from``), which its errors name;
    by default they name the config's ``refresh.from``.
    """
    window = data is not None
    data = data if data is not None else load_data(cfg)
    calib = load_calibration(cfg, data, drop_later=window)
    try:
        priors = resolve_priors(cfg, data)
        priors = with_calibration_noise(priors, calib)
        priors = fix_calibrated(cfg, data, priors, calib)
    except PriorError as exc:
        raise PriorError(f"{cfg.source}: {exc}") from None
    if cfg.refresh is not None and not window:
        priors = refresh_priors(cfg, data, priors, cfg.refresh, refresh_option)
    if cfg.optimize is not None and not window:  # checked against the data before sampling
        try:
            limits(list(cfg.channels), data.spend, cfg.optimize)
        except UsageError as exc:
            raise ConfigError(f"{cfg.source}: optimize.{exc}") from None
    return data, priors, calib


def ready_model(
    cfg: Config,
    data: ModelData,
    priors: PriorSet,
    calib: Calibration,
    parent: Path,
    evaluate: bool = True,
) -> pm.Model:
    """The model, checked at its initial point, and a runs folder ready to take its run.

    ``evaluate=False`` leaves the initial point to :func:`ready_sampler` (``fit`` and
    ``validate``), which asks the sampler's compiled code first, at no cost, where PyMC's own
    evaluation here compiles another function (half a second on the bench model); it refuses
    only what this evaluation refuses."""
    model = build_model(cfg, data, priors, calib)
    if evaluate:
        try:
            check_initial_point(model)
        except ModelError as exc:
            raise ModelError(f"{cfg.source}: {exc}") from None
    check_writable(parent)
    check_latest(parent)
    return model


def ready_sampler(
    cfg: Config, model: pm.Model, settings: Sampler, console: Console, progress: bool
) -> ReadySampler:
    """``model`` compiled and checked at its initial point, ready to sample; a model that
    cannot be evaluated there is a ModelError naming the config (exit 2). ``fit`` calls it
    before it takes the run lock, so such a model leaves nothing behind."""
    try:
        return prepare_sampler(model, settings, console, progress)
    except ModelError as exc:
        raise ModelError(f"{cfg.source}: {exc}") from None


def screen_model(data: ModelData, model: pm.Model) -> list[Finding]:
    """What the data alone show against this model (``inputs.screening``): a target that
    moves in fewer periods than the model has free parameters (refused: DataError), a sparse or
    negative target, correlated, flat, sparse or small channels and more free parameters than
    the periods can carry."""
    parameters = free_dimensions(model)
    return [*target_support(data, parameters), *screen(data, parameters)]


def free_dimensions(model: pm.Model) -> dict[str, int]:
    """Each free parameter's number of scalar dimensions (a vector counts by element)."""
    shapes = model.eval_rv_shapes()
    return {rv.name: int(np.prod(shapes[rv.name])) for rv in model.free_RVs}


def effective_sampler(cfg: Config, *, quick: bool = False, **overrides: object) -> Sampler:
    """The config's sampler settings with ``--quick`` and command-line overrides applied;
    ConfigError (exit 2) for settings whose posterior the steps after sampling could not use
    (``analysis.diagnostics.sampler_problem``), so ``check`` refuses what ``fit`` would."""
    values = cfg.sampler.model_dump()
    if quick:
        values.update(QUICK)
    given = {k: v for k, v in overrides.items() if v is not None}
    values.update(given)
    try:
        settings = Sampler.model_validate(values)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        key = str(err["loc"][0]) if err["loc"] else ""
        where = f"--{key}" if key in given else f"{cfg.source}: sampler.{key}"
        raise ConfigError(f"{where}: {error_text(err)}") from None
    problem = sampler_problem(settings.chains, settings.draws, gated=not quick)
    if problem is not None:  # what the steps after sampling need, refused before it
        keys, why = problem
        flag = next((k for k in keys if k in given), None)
        where = f"--{flag}" if flag else f"{cfg.source}: sampler.{keys[0]}"
        raise ConfigError(f"{where}: {why}")
    if cfg.optimize is not None and cfg.optimize.quantile is not None:
        try:  # the allocation after the fit needs enough draws beyond its quantile
            check_quantile(cfg.optimize.quantile, settings.draws * settings.chains)
        except UsageError as exc:
            raise ConfigError(f"{cfg.source}: optimize.{exc}") from None
    return settings


def refresh_priors(
    cfg: Config,
    data: ModelData,
    priors: PriorSet,
    refresh: Refresh,
    option: str | None = None,
) -> PriorSet:
    """Replace each free parameter's prior that the earlier run also estimated by its
    posterior, fitted in the prior's family and widened (``priors.refresh``). Refuses (exit 2)
    an earlier run that failed its checks or whose structure does not map onto this config;
    errors name ``option`` (``--refresh-from``) or else the config's ``refresh.from``.

    When the earlier run was itself a refresh, its chain is followed back to the run fitted from
    scratch (the anchor), and that run's posterior is used: a refresh of a refresh would count
    the weeks they share once more at every step (measured: the chained estimates walked, radio
    CPA 67 -> 76 over 13 weekly refits, while anchored ones stayed as steady as scratch fits).
    ``priors.refresh`` records both runs and which periods the two fits share
    (``priors.overlap``), for :func:`check_refresh_data` and the manifest.
    """
    label = option or f"{cfg.source}: refresh.from"
    source = cfg.resolve(refresh.source)
    try:
        requested = load_previous(source)
    except UsageError as exc:
        raise ConfigError(f"{label}: {exc}") from None
    previous, hops = requested, 0
    try:
        while previous.refreshed_from is not None and hops < MAX_REFRESH_CHAIN:
            previous, hops = load_previous(Path(previous.refreshed_from)), hops + 1
    except UsageError as exc:
        raise ConfigError(
            f"{label}: {requested.path} was refreshed from a run that cannot be used ({exc}); "
            f"refit from scratch to start a new chain"
        ) from None
    behind = f" (the run fitted from scratch behind {requested.path})" if hops else ""
    where = f"{label}: {previous.path}{behind}"
    scratch = "leave out --refresh-from" if option else "remove the refresh block"
    if previous.status == "failed":
        raise ConfigError(
            f"{where} failed its convergence checks; refresh from a run that passed, or refit "
            f"from scratch ({scratch})"
        )
    problem = structure_change(cfg, previous.config)
    if problem:
        raise ConfigError(f"{where}: {problem}; a refresh needs the same structure")
    if previous.fitted_dates is None or previous.fitted_y is None:
        raise ConfigError(
            f"{where}: its trace.nc does not say which periods it was fitted on, so what a "
            f"refresh would count twice is unknown; refit from scratch ({scratch})"
        )
    periods = overlap(previous.fitted_dates, previous.fitted_y, data.dates, data.y, data.n_train)
    sizes = {names.SEASONALITY_COEF: len(data.fourier_names)}
    rescale = spend_scale_factors(cfg, data, previous.config)
    out = PriorSet(priors)
    for name, prior in priors.items():
        draws = previous.posterior.get(name)
        if prior.is_fixed or draws is None:
            continue  # new to this config, or held fixed: keeps its prior
        if draws.ndim > 1 and draws.shape[1:] != (sizes.get(name, -1),):
            continue  # a vector of another length (another Fourier order): keeps its prior
        out[name] = refreshed(
            prior, draws * rescale.get(name, 1.0), refresh.widen, str(previous.path)
        )
    out.refresh = {
        "from": str(previous.path),
        "requested": str(requested.path),
        "given": str(source),
        "option": option or "refresh.from",
        "widen": refresh.widen,
        "status": previous.status,
        "fingerprint": previous.fingerprint,
        "data_sha256": requested.data_sha256,
        "parameters": sorted(n for n, p in out.items() if p.source == "refresh"),
        "periods": periods,
        "holdout": data.n - data.n_train,
    }
    return out


def spend_scale_factors(cfg: Config, data: ModelData, previous: dict) -> dict[str, float]:
    """Saturation parameters are in units of the channel's spend scale (``k``) or its inverse
    (``lam``), and the scale is recomputed from each run's fitted rows: the factor that carries
    an earlier draw into this run's units, per parameter whose unit involves it."""
    out = {}
    before = previous.get("channels") or {}
    for j, (name, ch) in enumerate(cfg.channels.items()):
        old = (before.get(name) or {}).get("spend_scale")
        if not isinstance(old, int | float) or old <= 0:
            continue
        ratio = float(old) / float(data.spend_scale[j])
        for _, _, param in ch.transform_params():
            if param.unit == "spend_scale":
                out[names.transform_param(name, param.name)] = ratio
            elif param.unit == "1/spend_scale":
                out[names.transform_param(name, param.name)] = 1.0 / ratio
    return out


def structure_change(cfg: Config, previous: dict) -> str | None:
    """What makes an earlier run's parameters mean something else in this config, or None."""
    before = previous.get("channels") or {}
    for name, ch in before.items():
        if name not in cfg.channels:
            return f"channel {name!r} of the earlier run is not in this config (renamed?)"
        now = cfg.channels[name]
        for block in ("adstock", "saturation"):
            kind = (ch.get(block) or {}).get("type")
            if kind != getattr(now, block).type:
                return (
                    f"channel {name!r} changed {block} from {kind!r} to "
                    f"{getattr(now, block).type!r}"
                )
        spend = ch.get("spend")
        if spend is not None and spend != now.spend:
            return f"channel {name!r} reads another spend column ({spend!r}, now {now.spend!r})"
    target = previous.get("target") or {}
    for key in ("kind", "column", "likelihood"):
        before_value, value = target.get(key), getattr(cfg.target, key)
        if before_value != value:
            return f"the target's {key} changed from {before_value!r} to {value!r}"
    return None


def check_refresh_data(
    cfg: Config, priors: PriorSet, data_sha256: str | None = None
) -> tuple[list[str], list[str]]:
    """Refuse (exit 2) a refresh whose fitted periods add none to its earlier run's: that run's
    posterior already holds every one of them, and a prior from it would count them all twice
    (``priors.overlap``: judged by date over the fitted periods, whatever the data file's bytes;
    ``data_sha256`` only lets the message say when it is the very same file). Otherwise return
    what is said before sampling: the lines to print (the earlier run used when the one asked
    for was itself a refresh; what is counted twice) and the warnings (revised values, an
    earlier run fitted on later periods). Called after ``--if-changed`` has had its say: an
    unchanged data file skips the fit before this check."""
    info = priors.refresh
    if not info:
        return [], []
    flag = info["option"] if str(info.get("option")).startswith("--") else None
    anchor, requested = info["from"], info["requested"]
    behind = f" (the run fitted from scratch behind {requested})" if requested != anchor else ""
    refused = refusal(info["periods"], anchor + behind, int(info.get("holdout", 0)))
    if refused:
        same = not behind and data_sha256 is not None and data_sha256 == info.get("data_sha256")
        where = flag or f"{cfg.source}: refresh.from"
        scratch = "leave out --refresh-from" if flag else "remove the refresh block"
        raise ConfigError(
            f"{where}: {refused}{' (the same data file)' if same else ''}; refresh when new "
            f"periods arrive, or refit from scratch ({scratch})"
        )
    said = []
    if requested != anchor:
        said.append(
            f"refresh: {requested} was itself refreshed from {anchor}: priors from {anchor}, the "
            f"run fitted from scratch (a refresh of a refresh would count their shared periods "
            f"once more)"
        )
    said.append(counted_twice(info["periods"], anchor, float(info["widen"])))
    return said, overlap_warnings(info["periods"], anchor)
