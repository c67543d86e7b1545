"""The config file: a typed, validated specification of one model (pydantic v2).

``load_config(path)`` reads YAML safely, validates it, resolves paths relative to the config
file, and raises ``ConfigError`` with a one-line message naming the file and key path.
"""

from __future__ import annotations

import math
import re
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from ..errors import ConfigError, did_you_mean, read_text
from .families import FAMILIES
from .messages import first_error_text
from .schema import (
    prior_json_schema,
    shorthand_json_schema,
    transform_json_schema,
    with_dialect,
)
from .transforms import ADSTOCKS, SATURATIONS, Param, Transform

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
RESERVED = {"intercept", "trend", "seasonality", "sigma", "nu", "mu", "target"}


class Strict(BaseModel):
    """Every block of the config: unknown keys are errors, types are not coerced ("5" is not a
    number, 4.0 is not a count, true is not a number) and numbers are finite."""

    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, strict=True, allow_inf_nan=False
    )


# A path in the config: written as a string in YAML.
ConfigPath = Annotated[Path, Field(strict=False)]


class Bounds(Strict):
    """A prior given as 'mass of the distribution between lower and upper'."""

    dist: str | None = Field(None, description="Family; default Gamma (positive), Beta, Normal")
    lower: float
    upper: float
    mass: float = Field(0.95, gt=0, lt=1, description="Probability between lower and upper")

    @model_validator(mode="after")
    def _order(self) -> Bounds:
        if not self.lower < self.upper:
            raise ValueError(f"lower ({self.lower:g}) must be < upper ({self.upper:g})")
        if self.dist is not None and self.dist not in FAMILIES:
            raise ValueError(_unknown_family(self.dist))
        return self


class Prior(Strict):
    """A prior: ``{dist: Gamma, alpha: 2, beta: 1}`` or ``{bounds: {lower, upper, mass}}``."""

    dist: str | None = None
    params: dict[str, float] = Field(default_factory=dict)
    bounds: Bounds | None = None

    @model_validator(mode="before")
    @classmethod
    def _inline_params(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "params" in data:
            return data
        known = set(cls.model_fields) - {"params"}
        params = {k: v for k, v in data.items() if k not in known}
        dist = data.get("dist")
        family = FAMILIES.get(dist) if isinstance(dist, str) else None
        for key in params:  # a misspelt block key ('bound') is not a family parameter
            if family is None or key not in family.params:
                hint = did_you_mean(str(key), sorted(known))
                if hint and not (
                    family is not None and did_you_mean(str(key), list(family.params))
                ):
                    raise ValueError(f"unknown key {key!r}{hint}")
        return {**{k: v for k, v in data.items() if k in known}, "params": params}

    @model_validator(mode="after")
    def _check(self) -> Prior:
        self._check_prior()
        return self

    def _check_prior(self) -> None:
        if (self.dist is None) == (self.bounds is None):
            raise ValueError("give either 'dist' with its parameters, or 'bounds'")
        if self.bounds is not None and self.params:
            raise ValueError(f"unexpected keys beside 'bounds': {', '.join(self.params)}")
        if self.dist is not None:
            if self.dist not in FAMILIES:
                raise ValueError(_unknown_family(self.dist))
            problem = FAMILIES[self.dist].check(self.params)
            if problem:
                raise ValueError(problem)

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        """The schema as written in YAML: one variant per family, parameters inline, or bounds."""
        return prior_json_schema()


class TimeVarying(Strict):
    """A coefficient that drifts over time (Gaussian random walk, one step per period)."""

    type: Literal["grw"] = "grw"
    sigma: Prior | None = Field(
        None,
        description="Prior of the walk's step sd per period: on the log scale for channel "
        "coefficients (default Gamma(2, 40) for weekly data), in target units for the intercept",
    )


class CoefficientPrior(Prior):
    """A coefficient's prior, optionally ``time_varying: {type: grw, sigma: <prior>}``.

    ``time_varying`` alone keeps the default prior (for a channel: its ROAS/CPA prior) and lets
    the coefficient drift around it.
    """

    time_varying: TimeVarying | None = None

    @model_validator(mode="after")
    def _check(self) -> CoefficientPrior:  # overrides Prior._check
        if self.dist is None and self.bounds is None and not self.params:
            if self.time_varying is None:
                raise ValueError("give 'dist' with its parameters, 'bounds' or 'time_varying'")
            return self
        self._check_prior()
        return self

    @property
    def has_prior(self) -> bool:
        """Whether this block gives a prior (else it only makes the default time-varying)."""
        return self.dist is not None or self.bounds is not None

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        return prior_json_schema(time_varying=True)


# A transform parameter: a prior, or a plain number holding it fixed.
ParamValue = Prior | float


class _Transform(Strict):
    """Common shape of adstock and saturation blocks: ``type`` plus that type's parameters."""

    model_config = ConfigDict(extra="allow", validate_assignment=True)
    _registry: typing.ClassVar[dict[str, Transform]] = {}

    type: str = "none"

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        """``saturation: hill`` is short for ``saturation: {type: hill}``."""
        return {"type": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _params(self) -> _Transform:
        registry = self._registry
        if self.type not in registry:
            hint = did_you_mean(self.type, list(registry))
            raise ValueError(
                f"unknown type {self.type!r}{hint}; choose one of: {', '.join(registry)}"
            )
        allowed = [p.name for p in registry[self.type].params]
        for key in self.model_extra or {}:  # 'tpye' first: without its type, none is assumed
            hint = did_you_mean(key, list(type(self).model_fields))
            if key not in allowed and hint and not did_you_mean(key, allowed):
                raise ValueError(f"unknown key {key!r}{hint}")
        for key, value in list((self.model_extra or {}).items()):
            if key not in allowed:
                hint = did_you_mean(key, [*allowed, *type(self).model_fields])
                raise ValueError(
                    f"{self.type} has no parameter {key!r}{hint} "
                    f"(parameters: {', '.join(allowed) or 'none'})"
                )
            if isinstance(value, bool) or (isinstance(value, float) and not math.isfinite(value)):
                raise ValueError(f"{key}: must be a finite number or a prior, got {value!r}")
            try:
                parsed = (
                    float(value) if isinstance(value, int | float) else Prior.model_validate(value)
                )
            except ValidationError as exc:
                raise ValueError(f"{key}: {first_error_text(exc)}") from None
            assert self.__pydantic_extra__ is not None  # extra="allow"
            self.__pydantic_extra__[key] = parsed
        return self

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        """One variant per registered type, with that type's parameters."""
        own = handler.resolve_ref_schema(handler(core_schema))
        fields = {k: v for k, v in own.get("properties", {}).items() if k != "type"}
        doc = (cls.__doc__ or "").strip()
        return transform_json_schema(cls._registry, fields, doc)

    @property
    def definition(self) -> Transform:
        """The registered type this block selects (its parameters, formula)."""
        return self._registry[self.type]

    def param(self, name: str) -> ParamValue | None:
        return (self.model_extra or {}).get(name)


class Adstock(_Transform):
    """Carry-over: normalised lag weights over lags 0..max_lag (periods)."""

    _registry = ADSTOCKS
    max_lag: int = Field(8, ge=1, le=104, description="Largest lag, in periods")


class Saturation(_Transform):
    """Diminishing returns on adstocked spend divided by the channel's spend scale."""

    _registry = SATURATIONS


class Channel(Strict):
    spend: str = Field(description="Spend column in the data file")
    adstock: Adstock = Field(default_factory=Adstock)
    saturation: Saturation = Field(default_factory=Saturation)
    coefficient: CoefficientPrior | float | None = Field(
        None,
        description="A number holds it fixed. Target units per unit of adstocked spend "
        "(saturation none), "
        "else the weekly ceiling in target units",
    )
    roas: Prior | None = Field(
        None,
        description="Prior on the channel's ROAS over the fitted periods (revenue targets); "
        "replaces the coefficient's prior, which is then derived",
    )
    cpa: Prior | None = Field(
        None,
        description="Prior on the channel's cost per conversion over the fitted periods "
        "(conversions targets); replaces the coefficient's prior, which is then derived",
    )
    spend_scale: float | None = Field(
        None, gt=0, description="Spend reference; default: mean non-zero spend in the fitted data"
    )

    @property
    def coefficient_prior(self) -> bool:
        """Whether the config gives the coefficient itself a prior (or a fixed number)."""
        c = self.coefficient
        return c is not None and (not isinstance(c, CoefficientPrior) or c.has_prior)

    @property
    def lag(self) -> int:
        """The adstock's largest lag; 0 without adstock."""
        return self.adstock.max_lag if self.adstock.type != "none" else 0

    def transform_params(self) -> list[tuple[str, _Transform, Param]]:
        """``(block, its config, parameter)`` for every adstock and saturation parameter."""
        return [
            (block, spec, param)
            for block, spec in (("adstock", self.adstock), ("saturation", self.saturation))
            for param in spec.definition.params
        ]


class Control(Strict):
    column: str
    coefficient: Prior | None = Field(None, description="Target units per unit of the control")


class DataSpec(Strict):
    path: ConfigPath
    date_column: str = "date"
    frequency: str | None = Field(None, description="pandas frequency (W, W-MON, D, MS); inferred")


class Target(Strict):
    column: str
    kind: Literal["conversions", "revenue"] = "conversions"
    likelihood: Literal["normal", "student_t"] = "normal"
    sigma: Prior | None = Field(None, description="Noise scale prior, target units")
    nu: Prior | None = Field(None, description="Student-t degrees of freedom prior")


class Seasonality(Strict):
    yearly_fourier_order: int = Field(2, ge=0, le=26)
    coefficient: Prior | None = Field(None, description="Prior of each Fourier coefficient")


class Trend(Strict):
    type: Literal["none", "linear"] = "linear"
    slope: Prior | None = Field(None, description="Target units per period")

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        return {"type": data} if isinstance(data, str) else data

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        """``trend: linear`` is short for ``trend: {type: linear}``."""
        block = dict(handler.resolve_ref_schema(handler(core_schema)))
        kinds = list(typing.get_args(cls.model_fields["type"].annotation))
        return shorthand_json_schema(block, kinds, "A linear trend (default) or none")


class Retry(Strict):
    """What ``mmm fit`` does after a near miss: a fit that failed its gate only because of a
    few divergences (at most 1% of the draws, in no parameter's tail, r_hat and ESS passing) is
    sampled once more with smaller steps (``target_accept``, only ever higher than the fit's)
    and a new seed derived from ``sampler.seed``, and judged on its own against the same
    thresholds. ``retry: false`` or ``max: 0`` switches it off. At most one retry: a second
    one would be shopping for a lucky seed."""

    max: int = Field(1, ge=0, le=1, description="Retries after a near miss: 1 or 0 (off)")
    target_accept: float = Field(0.97, gt=0.5, lt=1, description="target_accept of the retry")

    @model_validator(mode="before")
    @classmethod
    def _from_bool(cls, data: Any) -> Any:
        if isinstance(data, bool):  # retry: false (off) / retry: true (the defaults)
            return {} if data else {"max": 0}
        return data

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        """``retry: false`` is short for ``retry: {max: 0}``."""
        block = dict(handler.resolve_ref_schema(handler(core_schema)))
        return {"anyOf": [{"type": "boolean"}, block], "description": block.get("description")}


class Sampler(Strict):
    engine: Literal["nutpie", "pymc"] = "nutpie"
    chains: int = Field(4, ge=1, le=64)
    draws: int = Field(1000, ge=10, le=1_000_000)
    tune: int = Field(1000, ge=10, le=1_000_000)
    target_accept: float = Field(0.9, gt=0.5, lt=1)
    seed: int = Field(42, ge=0, le=2**63 - 1, description="Any integer up to 2**63 - 1")
    cores: int | None = Field(None, ge=1)
    retry: Retry = Field(default_factory=Retry, description="Sample again after a near miss")


class MediaShare(Strict):
    """The default prior's belief about the share of the target that paid media drive.

    Channels without a coefficient, ROAS or CPA prior share one return prior (as Meridian's
    "total paid media contribution prior"), solved so that their summed contribution over the
    fitted periods is this share of the target's total, with this spread.
    """

    mean: float = Field(0.4, gt=0, lt=1, description="Prior mean of the media share")
    sd: float = Field(0.2, gt=0, lt=1, description="Prior sd of the media share")


class Checks(Strict):
    max_r_hat: float = Field(1.01, gt=1)
    min_ess_bulk: float = Field(400, ge=0)
    max_divergences: int = Field(0, ge=0)


class Holdout(Strict):
    periods: int = Field(0, ge=0)


class Output(Strict):
    dir: ConfigPath = Path("runs")


ChannelName = Annotated[str, Field(pattern=NAME_RE.pattern)]

POTENTIAL_REFUSAL = (
    "method 'potential' is not supported: a pm.Potential penalty on |effect - uplift| discards "
    "the experiment's uncertainty and has a kink that breaks NUTS's gradients; use 'likelihood' "
    "(the default: the uplift is a second observed likelihood with its own noise) or 'fixed'"
)


class CalibrationSource(Strict):
    """Experiment results: a per-period uplift series of one channel, or a file of lift tests.

    With ``channel``: the file has ``date, uplift[, sigma]`` rows for that channel. Without: one
    experiment per row, ``channel, start, end, spend_delta, uplift, sigma`` (or Robyn's
    ``channel, liftStartDate, liftEndDate, liftAbs, spend`` with ``se``/``sigma`` or
    ``confidence``).
    """

    path: ConfigPath
    channel: str | None = None
    method: Literal["likelihood", "fixed", "potential"] = "likelihood"
    sigma: Prior | None = Field(
        None, description="Prior of the uplift noise when the file has no sigma column"
    )

    @field_validator("method")
    @classmethod
    def _no_potential(cls, value: str) -> str:
        if value == "potential":
            raise ValueError(POTENTIAL_REFUSAL)
        return value


# [lower, upper] in YAML (a list), either may be null; kept as a tuple.
SpendLimits = Annotated[
    tuple[float | None, float | None],
    BeforeValidator(lambda v: tuple(v) if isinstance(v, list) else v),
]


class Optimize(Strict):
    """Budget allocation over the next periods (``mmm optimize``; in a config, after each fit).

    Bounds are per channel, ``[lower, upper]`` (either may be null): ``bounds`` in multiples of
    the channel's spend over the last ``periods`` observed periods, ``spend_bounds`` in spend
    units. Channels without bounds may get anything from 0 to the whole budget.
    """

    budget: float | None = Field(
        None, gt=0, description="Total spend over the periods; default: the last `periods` spent"
    )
    periods: int = Field(
        ge=1, le=366, description="Number of periods after the data's last one (at most 366)"
    )
    pattern: Literal["flat", "recent"] = Field(
        "flat", description="Split over periods: even, or the shape of the last `periods`"
    )
    quantile: float | None = Field(
        None, gt=0, lt=1, description="Maximise this quantile of the response (default: the mean)"
    )
    bounds: dict[str, SpendLimits] = Field(
        default_factory=dict, description="Per channel [lower, upper], multiples of recent spend"
    )
    spend_bounds: dict[str, SpendLimits] = Field(
        default_factory=dict, description="Per channel [lower, upper], spend units"
    )
    allow_failed: bool = Field(False, description="Also optimize when the fit failed its checks")

    @model_validator(mode="after")
    def _limits(self) -> Optimize:
        for key in ("bounds", "spend_bounds"):
            for channel, (lo, hi) in getattr(self, key).items():
                problem = bound_problem(lo, hi)
                if problem:
                    raise ValueError(f"{key}.{channel}: {problem}")
        problem = both_kinds(self.bounds, self.spend_bounds)
        if problem:
            raise ValueError(problem)
        return self


# The rules for bounds, shared by a config's ``optimize:`` block and ``mmm optimize``'s options
# (which are checked as given, before they are merged with the block, so a request the block
# would refuse is refused on the command line too, in the same words).


def bound_problem(lo: float | None, hi: float | None) -> str | None:
    """What is wrong with one channel's ``[lower, upper]`` (either may be None), or None."""
    for value in (lo, hi):
        if value is not None and not (0 <= value < float("inf")):
            return f"{value:g} is not a finite value >= 0"
    if lo is not None and hi is not None and lo > hi:
        return f"lower {lo:g} is above upper {hi:g}"
    return None


def both_kinds(
    bounds: typing.Iterable[str],
    spend_bounds: typing.Iterable[str],
    names: tuple[str, str] = ("bounds", "spend_bounds"),
) -> str | None:
    """The refusal of channels bounded both ways (which one would apply is anyone's guess), or
    None; ``names``: what the two kinds are called where they were given."""
    both = set(bounds) & set(spend_bounds)
    if not both:
        return None
    return (
        f"channels with both {names[0]} and {names[1]}: {', '.join(sorted(both))}; "
        f"give one kind per channel"
    )


class Refresh(Strict):
    """Start from an earlier run's posterior instead of the priors (see README, "Refresh")."""

    source: ConfigPath = Field(
        alias="from", description="The earlier run: a run folder, runs/<name> or .../latest"
    )
    widen: float = Field(
        2.0, ge=1, le=100, description="Multiply each posterior's spread by this (>= 1)"
    )


URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


class MlflowTracking(Strict):
    """Log every fit to MLflow (the optional extra: ``pip install 'mmmcli[mlflow]'``)."""

    uri: str | None = Field(
        None,
        description="Tracking URI: a server (http://host:5000), sqlite:///mlflow.db or a folder; "
        "relative paths are relative to the config file; default: $MLFLOW_TRACKING_URI",
    )
    experiment: str | None = Field(
        None, min_length=1, description="Experiment name (default: the config's name)"
    )

    def resolved_uri(self, base: Path) -> str | None:
        """The URI with a relative folder or SQLite file made absolute against ``base``."""
        return resolve_tracking_uri(self.uri, base) if self.uri else None


def resolve_tracking_uri(uri: str, base: Path) -> str:
    """``mlruns`` -> ``file:///abs/mlruns``; ``sqlite:///x.db`` -> ``sqlite:////abs/x.db``;
    absolute paths and every other URI (``http://``, ``databricks``, ...) unchanged."""
    uri = uri.strip()
    if uri.split(":")[0] in ("databricks", "databricks-uc"):  # MLflow's names, not folders
        return uri
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        return "sqlite:///" + str((base / uri[len("sqlite:///") :]).resolve())
    if uri.startswith("file:") or (URI_SCHEME.match(uri) and not Path(uri).is_absolute()):
        return uri
    return (base / Path(uri).expanduser()).resolve().as_uri()


CREDENTIALS = re.compile(r"(\w[\w+.-]*://)[^/@\s]+@")


def without_credentials(text: str) -> str:
    """``http://user:secret@host`` -> ``http://host`` wherever a URL appears in ``text``: what is
    shown, stored and logged (MLflow reads credentials from ``MLFLOW_TRACKING_USERNAME`` and
    ``MLFLOW_TRACKING_PASSWORD``)."""
    return CREDENTIALS.sub(r"\1", text)


class Tracking(Strict):
    """Where finished runs are recorded besides their run folder."""

    mlflow: MlflowTracking | None = None


class Config(Strict):
    """One model: data, target, channels and everything around them."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    data: DataSpec
    target: Target
    channels: dict[ChannelName, Channel] = Field(min_length=1)
    controls: dict[ChannelName, Control] = Field(default_factory=dict)
    seasonality: Seasonality = Field(default_factory=Seasonality)
    trend: Trend = Field(default_factory=Trend)
    intercept: CoefficientPrior | None = None
    sampler: Sampler = Field(default_factory=Sampler)
    checks: Checks = Field(default_factory=Checks)
    holdout: Holdout = Field(default_factory=Holdout)
    hdi_prob: float = Field(0.94, gt=0.5, lt=1)
    media_share: MediaShare = Field(default_factory=MediaShare)
    output: Output = Field(default_factory=Output)
    calibration: list[CalibrationSource] = Field(default_factory=list)
    optimize: Optimize | None = Field(
        None, description="Allocate a budget after every fit that passes (see mmm optimize)"
    )
    refresh: Refresh | None = Field(
        None, description="Priors from an earlier run's posterior, widened (weekly refits)"
    )
    tracking: Tracking | None = Field(
        None, description="Log each fit to an experiment tracker (MLflow)"
    )

    _source: Path | None = PrivateAttr(None)

    @field_validator("channels", "controls")
    @classmethod
    def _names(cls, value: dict) -> dict:
        for name in value:
            if name in RESERVED:
                raise ValueError(f"{name!r} is a reserved name")
        return value

    @model_validator(mode="after")
    def _distinct(self) -> Config:
        roles = [("data.date_column", self.data.date_column), ("target.column", self.target.column)]
        roles += [(f"channels.{n}.spend", c.spend) for n, c in self.channels.items()]
        roles += [(f"controls.{n}.column", c.column) for n, c in self.controls.items()]
        seen: dict[str, str] = {}
        for key, column in roles:
            if column in seen:
                raise ValueError(
                    f"column {column!r} is both {seen[column]} and {key}; a column plays one role"
                )
            seen[column] = key
        kind = self.target.kind
        for n, c in self.channels.items():
            wrong = "cpa" if kind == "revenue" else "roas"
            if getattr(c, wrong) is not None:
                right = "roas" if kind == "revenue" else "cpa"
                raise ValueError(
                    f"channels.{n}.{wrong}: the target is {kind}, so give '{right}' instead"
                )
            prior = c.roas or c.cpa
            if prior is not None and c.coefficient_prior:
                raise ValueError(
                    f"channels.{n}: give a prior on the coefficient or on the "
                    f"{'ROAS' if kind == 'revenue' else 'CPA'}, not both (the other is derived)"
                )
        both = set(self.channels) & set(self.controls)
        if both:
            raise ValueError(f"names used as both channel and control: {', '.join(sorted(both))}")
        for i, source in enumerate(self.calibration):
            if source.channel is not None and source.channel not in self.channels:
                hint = did_you_mean(source.channel, list(self.channels))
                raise ValueError(
                    f"calibration.{i}.channel: unknown channel {source.channel!r}{hint}"
                )
        if self.optimize is not None:
            for key in ("bounds", "spend_bounds"):
                for channel in getattr(self.optimize, key):
                    if channel not in self.channels:
                        hint = did_you_mean(channel, list(self.channels))
                        raise ValueError(
                            f"optimize.{key}.{channel}: unknown channel {channel!r}{hint}"
                        )
        return self

    def warnings(self) -> list[str]:
        """Valid but questionable combinations, said once before fitting."""
        out = []
        tv = self.intercept.time_varying if self.intercept is not None else None
        if tv is not None and self.trend.type == "linear":
            out.append(
                "a time-varying intercept and a linear trend explain the same drift; "
                "consider 'trend: none'"
            )
        return out

    @property
    def max_lag(self) -> int:
        """The longest adstock lag over all channels (every channel's weights are padded to it)."""
        return max((ch.lag for ch in self.channels.values()), default=0)

    def varying(self, channel: str) -> TimeVarying | None:
        """The channel coefficient's ``time_varying`` block, or None."""
        coef = self.channels[channel].coefficient
        return coef.time_varying if isinstance(coef, CoefficientPrior) else None

    @property
    def source(self) -> Path | None:
        """The config file this was loaded from."""
        return self._source

    @property
    def base_dir(self) -> Path:
        return self._source.parent if self._source else Path.cwd()

    def resolve(self, path: Path) -> Path:
        """A path from the config, relative to the config file's folder."""
        return (path if path.is_absolute() else self.base_dir / path).resolve()


def config_json_schema() -> dict[str, Any]:
    """The config's JSON Schema as ``mmm schema`` prints it (see ``schema.py``)."""
    return with_dialect(Config.model_json_schema())


def load_config(path: str | Path) -> Config:
    """Read, validate and return the config at ``path``; raise ConfigError on any problem."""
    path = Path(path)
    raw = parse_yaml(read_text(path, "config", ConfigError), path)
    cfg = validate_config(raw, path)
    cfg._source = path.resolve()
    return cfg


class _Loader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (YAML would keep the last
    silently: a config that says one thing twice is a mistake to point at)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: the constructor below says so
                continue
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key!r} appears twice (first on line {first})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str, path: Path) -> dict[str, Any]:
    """Safe-load YAML (no Python tags are ever constructed; a duplicate key is an error)."""
    try:
        raw = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigError(f"{path}: {where}{exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}: the YAML is nested too deeply to be a config") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    return raw


def validate_config(raw: dict[str, Any], path: Path | str = "<config>") -> Config:
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {first_error_text(exc, Config)}") from None
    except RecursionError:
        raise ConfigError(f"{path}: a value is nested too deeply to be part of a config") from None


def _unknown_family(name: str) -> str:
    return f"unknown distribution {name!r}{did_you_mean(name, list(FAMILIES))}; known: " + (
        ", ".join(FAMILIES)
    )
