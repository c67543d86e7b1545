"""Resolution: one :class:`ResolvedPrior` for every random quantity of the model.

Each prior is explicit (``dist`` + parameters), solved from ``bounds``, a fixed number, or a
default scaled to the data (intercept and noise from the target's mean and sd, coefficients from
target/spend ratios). Supports are checked here (adstock alpha in (0, 1), positive scales), so a
model is never built with a prior that cannot hold its parameter. All of them are listed in
``priors.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import PriorError
from ..inputs.calibration import Calibration
from ..inputs.data import ModelData
from ..spec import names
from ..spec.config import Bounds, CoefficientPrior, Config, Prior
from ..spec.families import FAMILIES
from .bounds import format_params, solve_bounds
from .families import frozen, support


@dataclass
class ResolvedPrior:
    """A prior ready to build: family and parameters, where it came from, what it means."""

    name: str  # model variable name, e.g. "tv_coef"
    dist: str | None  # None for a fixed constant
    params: dict[str, float]
    source: str  # explicit | bounds | default | fixed
    unit: str
    key: str  # config key path, for messages
    bounds: Bounds | None = None
    achieved_mass: float | None = None
    value: float | None = None  # for fixed constants
    origin: str | None = None  # source "refresh": the run whose posterior this is
    replaced: ResolvedPrior | None = None  # source "refresh": the prior the config gives

    @property
    def size(self) -> int | None:
        """Elements of a vector prior (one per element of the parameter), None for scalars."""
        sizes = {np.size(v) for v in self.params.values() if np.ndim(v) > 0}
        return sizes.pop() if sizes else None

    @property
    def is_fixed(self) -> bool:
        return self.dist is None

    def frozen(self) -> Any:
        """The SciPy frozen distribution (not for fixed constants)."""
        assert self.dist is not None, f"{self.name} is a fixed constant"
        return frozen(self.dist, self.params)

    def median(self) -> float:
        """The prior's median (for a vector prior, the median of its elements' medians)."""
        if self.value is not None:
            return self.value
        return float(np.median(self.frozen().median()))

    def fixed_at(self, value: float, source: str) -> ResolvedPrior:
        """This parameter held at ``value`` (a ``fixed`` row of priors.csv)."""
        return ResolvedPrior(self.name, None, {}, source, self.unit, self.key, value=value)

    def row(self) -> dict[str, Any]:
        """One row of priors.csv."""
        b = self.bounds
        return {
            "parameter": self.name,
            "config_key": self.key,
            "source": self.source,
            "dist": self.dist or "fixed",
            "params": f"value={self.value:.6g}" if self.is_fixed else format_params(self.params),
            "unit": self.unit,
            "bounds_lower": b.lower if b else None,
            "bounds_upper": b.upper if b else None,
            "bounds_mass": b.mass if b else None,
            "achieved_mass": self.achieved_mass,
            "median": self.median(),
            "refreshed_from": self.origin,
        }

    def to_yaml(self) -> dict[str, Any] | float | None:
        """As written in ``config.resolved.yaml``: a number, or the family and its parameters."""
        if self.replaced is not None:  # the config's own prior: the refresh block redoes this
            return self.replaced.to_yaml()
        if self.is_fixed:
            return self.value
        return {"dist": self.dist, **{k: float(f"{v:.8g}") for k, v in self.params.items()}}


class PriorSet(dict[str, ResolvedPrior]):
    """All of a model's priors by variable name, in model order; ``refresh`` says which earlier
    run's posterior some of them come from (``None``: none do)."""

    refresh: dict[str, Any] | None = None

    def rows(self) -> list[dict[str, Any]]:
        return [p.row() for p in self.values()]


def resolve_priors(cfg: Config, data: ModelData) -> PriorSet:
    """Every prior of the model, solved, defaulted and support-checked."""
    out = PriorSet()
    y_mean, y_sd = data.y_mean, data.y_sd
    scale_y = max(abs(y_mean), y_sd)

    def add(name: str, *args: Any) -> None:  # the arguments of resolve_one
        out[name] = resolve_one(name, *args)

    if cfg.intercept is not None and cfg.intercept.has_prior:
        add(names.INTERCEPT, cfg.intercept, "intercept", {}, "target")
    else:
        # The intercept is derived: the level that makes the model's mean over the fitted
        # periods the data's mean, plus this offset. The media's level and the intercept then
        # no longer trade off along a ridge that the sampler has to walk.
        add(
            names.INTERCEPT_OFFSET,
            None,
            "intercept",
            {"dist": "Normal", "mu": 0.0, "sigma": y_sd},
            "target (model mean minus data mean, fitted periods)",
        )
    # A random walk's step follows the data's frequency: sd per period ~ sqrt(days / 7).
    step = np.sqrt(data.period_days / 7.0)
    if cfg.intercept is not None and cfg.intercept.time_varying is not None:
        add(
            names.grw_sigma(names.INTERCEPT),
            cfg.intercept.time_varying.sigma,
            "intercept.time_varying.sigma",
            {"dist": "Gamma", "alpha": 2.0, "beta": 2.0 / (0.05 * y_sd * step)},
            "target per period",
            "positive",
        )
    if cfg.trend.type == "linear":
        add(
            names.TREND_SLOPE,
            cfg.trend.slope,
            "trend.slope",
            {"dist": "Normal", "mu": 0.0, "sigma": 2 * y_sd / data.n_train},
            "target/period",
        )
    if cfg.seasonality.yearly_fourier_order > 0:
        add(
            names.SEASONALITY_COEF,
            cfg.seasonality.coefficient,
            "seasonality.coefficient",
            {"dist": "Normal", "mu": 0.0, "sigma": y_sd},
            "target",
        )
    for i, (name, ctrl) in enumerate(cfg.controls.items()):
        sd = float(data.controls[: data.n_train, i].std())
        add(
            names.coefficient(name),
            ctrl.coefficient,
            f"controls.{name}.coefficient",
            {"dist": "Normal", "mu": 0.0, "sigma": 2 * y_sd / sd},
            f"target per unit of {ctrl.column}",
        )
    returns = default_return(cfg, data)
    for i, (name, ch) in enumerate(cfg.channels.items()):
        coef = names.coefficient(name)
        kind = "roas" if cfg.target.kind == "revenue" else "cpa"
        own = ch.roas if kind == "roas" else ch.cpa
        if ch.coefficient_prior or name not in returns and own is None:
            if ch.saturation.definition.bounded:
                default = {"dist": "HalfNormal", "sigma": scale_y}
                unit = "target/period (ceiling)"
            else:
                default = {"dist": "HalfNormal", "sigma": scale_y / float(data.spend_scale[i])}
                unit = f"target per unit of {ch.spend}"
            add(coef, ch.coefficient, f"channels.{name}.coefficient", default, unit, "positive")
        else:
            unit = "target per unit of spend" if kind == "roas" else "spend per target unit"
            add(
                names.roas(name) if kind == "roas" else names.cpa(name),
                own,
                f"channels.{name}.{kind}",
                returns.get(name, {}),
                f"{unit}, over the fitted periods",
                "positive",
            )
        varying = cfg.varying(name)
        if varying is not None:
            # multiplicative walk: the step is on the log scale (0.05 ~ 5% per week)
            add(
                names.grw_sigma(coef),
                varying.sigma,
                f"channels.{name}.coefficient.time_varying.sigma",
                {"dist": "Gamma", "alpha": 2.0, "beta": 2.0 / (0.05 * step)},
                "log-coefficient per period",
                "positive",
            )
        for block, spec, param in ch.transform_params():
            default = dict(param.default)
            if param.name == "theta":
                default["sigma"] = max(ch.adstock.max_lag / 2, 0.5)
            add(
                names.transform_param(name, param.name),
                spec.param(param.name),
                f"channels.{name}.{block}.{param.name}",
                default,
                param.unit,
                param.domain,
            )
    add(
        names.SIGMA,
        cfg.target.sigma,
        "target.sigma",
        {"dist": "HalfNormal", "sigma": y_sd},
        "target",
        "positive",
    )
    if cfg.target.likelihood == "student_t":
        add(
            names.NU,
            cfg.target.nu,
            "target.nu",
            {"dist": "Gamma", "alpha": 2, "beta": 0.1},
            "degrees of freedom",
            "positive",
        )
    return out


def default_return(cfg: Config, data: ModelData) -> dict[str, dict[str, Any]]:
    """The shared default ROAS (or CPA) prior of the channels that have no prior of their own.

    As Meridian's "total paid media contribution prior": one LogNormal return for all of them,
    solved so that their summed contribution over the fitted periods has the config's
    ``media_share`` mean and sd as a share of the target's total. With spend shares ``w_j``,
    a common ``ROAS ~ LogNormal(mu, s)`` gives a share with mean ``exp(mu + s**2/2) S/Y`` and
    coefficient of variation ``sqrt(exp(s**2) - 1) * sqrt(sum w_j**2)``, so ``s`` grows with
    the number of channels and the total's spread stays as configured. A CPA is the inverse of
    a return: ``LogNormal(-mu, s)``. Empty when the target's total is not positive (a share of
    it means nothing): those channels keep a prior on the coefficient. (``inputs.target``
    refuses such a target when the data are read, so only hand-built data reach this.)
    """
    n = data.n_train
    y_total = float(data.y[:n].sum())
    chosen = [
        j
        for j, (name, ch) in enumerate(cfg.channels.items())
        if not ch.coefficient_prior and ch.roas is None and ch.cpa is None
    ]
    spend = data.spend[:n, chosen].sum(axis=0) if chosen else np.zeros(0)
    if not chosen or y_total <= 0 or spend.sum() <= 0:
        return {}
    share = cfg.media_share
    w = spend / spend.sum()
    s2 = float(np.log1p((share.sd / share.mean) ** 2 / float(np.sum(w**2))))
    mu = float(np.log(share.mean * y_total / spend.sum()) - s2 / 2)
    sign = 1.0 if cfg.target.kind == "revenue" else -1.0
    prior = {"dist": "LogNormal", "mu": sign * mu, "sigma": float(np.sqrt(s2))}
    return {list(cfg.channels)[j]: prior for j in chosen}


def with_calibration_noise(priors: PriorSet, calib: Calibration) -> PriorSet:
    """``priors`` plus a noise prior for each likelihood uplift series without a sigma column.

    Default HalfNormal(mean |uplift|): weakly informative, on the uplift's own scale.
    """
    out = PriorSet(priors)
    for s in calib.likelihood_series():
        if s.sigma is None:
            scale = float(np.mean(np.abs(s.uplift))) or 1.0
            name = names.uplift_sigma(s.channel)
            out[name] = resolve_one(
                name,
                s.spec.sigma,
                f"calibration.{s.position}.sigma",
                {"dist": "HalfNormal", "sigma": scale},
                "target",
                "positive",
            )
    return out


def resolve_one(
    name: str,
    spec: Prior | float | None,
    key: str,
    default: dict[str, Any],
    unit: str,
    domain: str = "real",
) -> ResolvedPrior:
    """Resolve one config prior (or fixed number, or None for the default)."""
    if isinstance(spec, CoefficientPrior) and not spec.has_prior:
        spec = None  # only ``time_varying``: the default prior, drifting
    if isinstance(spec, int | float):
        _check_value(float(spec), domain, key)
        return ResolvedPrior(name, None, {}, "fixed", unit, key, value=float(spec))
    if spec is None:
        params = {k: float(v) for k, v in default.items() if k != "dist"}
        rp = ResolvedPrior(name, default["dist"], params, "default", unit, key)
    elif spec.bounds is not None:
        dist, params, achieved = solve_bounds(spec.bounds, domain, key)
        rp = ResolvedPrior(name, dist, params, "bounds", unit, key, spec.bounds, achieved)
    else:
        rp = ResolvedPrior(name, spec.dist, dict(spec.params), "explicit", unit, key)
    assert rp.dist is not None
    problem = FAMILIES[rp.dist].check(rp.params)
    if problem:  # a default scaled to data whose numbers overflow, say
        raise PriorError(
            f"{key}: the {rp.source} prior {rp.dist}({format_params(rp.params)}) is not usable "
            f"({problem}); check the data's scale, or give this prior explicitly"
        )
    _check_support(rp, domain)
    return rp


_DOMAINS = {"real": (-np.inf, np.inf), "positive": (0.0, np.inf), "unit": (0.0, 1.0)}


def _check_support(rp: ResolvedPrior, domain: str) -> None:
    assert rp.dist is not None
    lo, hi = support(rp.dist, rp.params)
    dlo, dhi = _DOMAINS[domain]
    if lo < dlo or hi > dhi:
        need = {"positive": "positive", "unit": "in (0, 1)"}[domain]
        raise PriorError(
            f"{rp.key}: {rp.dist} has support ({lo:g}, {hi:g}) but this parameter must be "
            f"{need}; use e.g. {'Beta' if domain == 'unit' else 'Gamma, HalfNormal or LogNormal'}"
        )


def _check_value(value: float, domain: str, key: str) -> None:
    lo, hi = _DOMAINS[domain]
    if not lo < value < hi:
        raise PriorError(
            f"{key}: fixed value {value:g} is outside the parameter's range ({lo:g}, {hi:g})"
        )
