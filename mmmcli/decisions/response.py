"""Each channel's response to a spend plan, for every posterior draw at once.

Definition (README, "Decisions"): a channel's *response* to a spend plan is the modelled target
with the plan minus the modelled target with the channel's spend at zero over the plan's periods,
summed over those periods and the ``max_lag`` periods after them. Spend before the plan
(carry-in) is in both terms: it moves the channel along its saturation curve without being
credited to the plan. The plan's own carry-over after its last period (carry-out) is credited.
The model is additive in its channels, so each channel's response depends on its own spend only.

Adstock is linear in spend, so for a plan ``b_j * pattern_j`` (``b_j`` the channel's budget,
``pattern_j`` its split over periods, summing to 1) the adstocked input is
``base + b_j * unit``: ``base`` is the carry-in and ``unit`` the adstock of the pattern per unit
of budget, both computed once per draw with numpy. An evaluation is then the saturation curves
only, elementwise over (draws, periods, channels), compiled once by PyTensor together with its
gradient (``Evaluator``). The curves are the model's own (``model.transforms``).

A time-varying coefficient enters a plan at its *latest level* (the last fitted period's value),
not the random walk carried forward: the walk has no drift, so its median forecast is the latest
level, while its mean forecast grows with the horizon (``exp`` of a widening Normal) and would
reward a channel for being uncertain. Response curves over the fitted window use the path.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pytensor
import pytensor.tensor as pt
import xarray as xr
from scipy.stats import beta as beta_dist

from ..errors import UsageError
from ..model.transforms import SATURATION_CURVES, lag_stack
from ..priors.resolve import PriorSet
from ..spec import names
from ..spec.config import Config
from ..spec.transforms import SATURATIONS

FILE = "response.nc"
FORMAT = 1
# Largest (draws, periods, channels) array one evaluation over the fitted window creates (~16 MB).
CHUNK_ELEMENTS = 2_000_000


@dataclass(frozen=True)
class ResponseModel:
    """Everything a channel's response to spend depends on, per draw (``D`` draws, ``C`` channels).

    ``weights`` (D, C, L+1) are the normalised lag weights, ``params`` the saturation parameters
    by name (D, C; NaN for a channel whose curve has no such parameter), ``coef`` (D, C) each
    coefficient at its latest level, ``scale`` (C,) the spend scales. ``spend`` (T, C) is the
    observed spend of every row of the data (holdout included): the carry-in of a plan and the
    recent mix come from its last rows. ``coef_path`` (D, n_fit, C), present after a fit only,
    holds time-varying coefficients over the fitted periods for the response curves.
    """

    channels: list[str]
    kind: str  # "revenue" or "conversions"
    saturation: list[str]
    weights: np.ndarray
    params: dict[str, np.ndarray]
    coef: np.ndarray
    scale: np.ndarray
    spend: np.ndarray
    dates: list[str]
    n_fit: int
    freq: str = "W"
    coef_path: np.ndarray | None = field(default=None, compare=False)

    @property
    def draws(self) -> int:
        return self.coef.shape[0]

    @property
    def max_lag(self) -> int:
        return self.weights.shape[2] - 1

    def index(self, channel: str) -> int:
        return self.channels.index(channel)

    def subset(self, channels: list[str]) -> ResponseModel:
        """The same model restricted to some channels (in the given order)."""
        idx = [self.index(c) for c in channels]
        return replace(
            self,
            channels=list(channels),
            saturation=[self.saturation[j] for j in idx],
            weights=self.weights[:, idx],
            params={k: v[:, idx] for k, v in self.params.items()},
            coef=self.coef[:, idx],
            scale=self.scale[idx],
            spend=self.spend[:, idx],
            coef_path=None if self.coef_path is None else self.coef_path[:, :, idx],
        )

    def thin(self, most: int) -> ResponseModel:
        """At most ``most`` draws, evenly spaced over all of them (every chain is represented:
        draws are stacked chain by chain); the model itself when it has no more than that."""
        if self.draws <= most:
            return self
        keep = np.unique(np.linspace(0, self.draws - 1, most).round().astype(int))
        return replace(
            self,
            weights=self.weights[keep],
            params={k: v[keep] for k, v in self.params.items()},
            coef=self.coef[keep],
            coef_path=None if self.coef_path is None else self.coef_path[keep],
        )

    def draw_chunks(
        self, elements: int = CHUNK_ELEMENTS, periods: int | None = None
    ) -> Iterator[ResponseModel]:
        """The model split into consecutive groups of draws, so arrays of (draws, periods,
        channels) stay under ``elements`` entries each (``periods``: the longest horizon)."""
        per_draw = max(1, (periods or self.n_fit + self.max_lag) * len(self.channels))
        size = max(1, elements // per_draw)
        for lo in range(0, self.draws, size):
            hi = min(lo + size, self.draws)
            yield replace(
                self,
                weights=self.weights[lo:hi],
                params={k: v[lo:hi] for k, v in self.params.items()},
                coef=self.coef[lo:hi],
                coef_path=None if self.coef_path is None else self.coef_path[lo:hi],
            )

    # ------------------------------------------------------------------ on disk

    def save(self, path: Path) -> None:
        """Write ``response.nc`` (float64, bit-identical on reload)."""
        data = {
            names.ADSTOCK_WEIGHTS: (("draw", "channel", "lag"), self.weights),
            names.CHANNEL_COEF: (("draw", "channel"), self.coef),
            "spend_scale": (("channel",), self.scale),
            "spend": (("period", "channel"), self.spend),
        }
        for p, values in self.params.items():
            data[f"saturation_{p}"] = (("draw", "channel"), values)
        ds = xr.Dataset(
            data,
            coords={"channel": self.channels, "period": self.dates},
            attrs={
                "format": FORMAT,
                "kind": self.kind,
                "saturation": json.dumps(self.saturation),
                "n_fit": self.n_fit,
                "freq": self.freq,
            },
        )
        ds.to_netcdf(path, engine="h5netcdf")

    @classmethod
    def load(cls, path: Path) -> ResponseModel:
        """Read a run's ``response.nc``; UsageError naming it when it is missing or damaged."""
        if not path.exists():
            raise UsageError(
                f"{path}: not found; the run predates response curves (refit it with this version)"
            )
        if not path.is_file():
            raise UsageError(f"{path}: is not a file")
        try:
            with xr.open_dataset(path, engine="h5netcdf") as ds:
                ds = ds.load()
            if ds.attrs.get("format") != FORMAT:
                raise ValueError(f"unknown format {ds.attrs.get('format')!r}")
            params = {
                str(k).removeprefix("saturation_"): np.asarray(v.values, dtype=float)
                for k, v in ds.data_vars.items()
                if str(k).startswith("saturation_")
            }
            model = cls(
                channels=[str(c) for c in ds["channel"].values],
                kind=str(ds.attrs["kind"]),
                saturation=[str(k) for k in json.loads(ds.attrs["saturation"])],
                weights=np.asarray(ds[names.ADSTOCK_WEIGHTS].values, dtype=float),
                params=params,
                coef=np.asarray(ds[names.CHANNEL_COEF].values, dtype=float),
                scale=np.asarray(ds["spend_scale"].values, dtype=float),
                spend=np.asarray(ds["spend"].values, dtype=float),
                dates=[str(d) for d in ds["period"].values],
                n_fit=int(ds.attrs["n_fit"]),
                freq=str(ds.attrs["freq"]),
            )
            model.validate()
        except (OSError, ValueError, KeyError, TypeError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise UsageError(f"{path}: damaged or not written by mmm ({first})") from None
        return model

    def validate(self) -> None:
        """ValueError unless shapes agree, curve types are known and every number is finite."""
        d, c = self.coef.shape
        if self.kind not in ("revenue", "conversions"):
            raise ValueError(f"kind {self.kind!r}")
        if len(self.channels) != c or len(self.saturation) != c or self.scale.shape != (c,):
            raise ValueError("channel counts disagree")
        if self.weights.ndim != 3 or self.weights.shape[:2] != (d, c):
            raise ValueError("adstock weights have the wrong shape")
        if self.spend.ndim != 2 or self.spend.shape[1] != c or len(self.dates) != len(self.spend):
            raise ValueError("spend has the wrong shape")
        if not 0 < self.n_fit <= len(self.spend):
            raise ValueError(f"n_fit {self.n_fit}")
        for j, kind in enumerate(self.saturation):
            if kind not in SATURATIONS:
                raise ValueError(f"unknown saturation {kind!r}")
            for p in _param_names(kind):
                if p not in self.params or not np.isfinite(self.params[p][:, j]).all():
                    raise ValueError(f"saturation parameter {p!r} of channel {self.channels[j]}")
        arrays = (self.weights, self.coef, self.scale, self.spend)
        if not all(np.isfinite(a).all() for a in arrays) or (self.scale <= 0).any():
            raise ValueError("values that are not finite")


def from_fit(
    cfg: Config,
    spend: np.ndarray,
    dates: list[str],
    n_fit: int,
    freq: str,
    scale: np.ndarray,
    priors: PriorSet,
    posterior: xr.DataTree | xr.Dataset,
    parameters: dict[str, np.ndarray],
) -> ResponseModel:
    """The response model of a fit: ``parameters`` holds the per-draw Deterministics of
    ``names.RESPONSE_PARAMETERS`` and the coefficient paths (from ``analysis.components``);
    saturation parameters come from the posterior, or from ``priors`` when held fixed."""
    channels = list(cfg.channels)
    weights = np.asarray(parameters[names.ADSTOCK_WEIGHTS], dtype=float)
    n_draws = weights.shape[0]
    params: dict[str, np.ndarray] = {}
    for j, (name, ch) in enumerate(cfg.channels.items()):
        for block, _, p in ch.transform_params():
            if block != "saturation":
                continue
            var = names.transform_param(name, p.name)
            if var in posterior:
                values = np.asarray(
                    posterior[var].stack(sample=("chain", "draw")).values, dtype=float
                )
            else:
                values = np.full(n_draws, priors[var].median())
            params.setdefault(p.name, np.full((n_draws, len(channels)), np.nan))[:, j] = values
    coef = np.asarray(parameters[names.CHANNEL_COEF], dtype=float)
    path = None
    tv = [names.path(names.coefficient(c)) in parameters for c in channels]
    if any(tv):
        path = np.repeat(coef[:, None, :], n_fit, axis=1)
        for j, c in enumerate(channels):
            if tv[j]:
                path[:, :, j] = parameters[names.path(names.coefficient(c))][:, :n_fit]
    return ResponseModel(
        channels=channels,
        kind=cfg.target.kind,
        saturation=[ch.saturation.type for ch in cfg.channels.values()],
        weights=weights,
        params=params,
        coef=coef,
        scale=np.asarray(scale, dtype=float),
        spend=np.asarray(spend, dtype=float),
        dates=list(dates),
        n_fit=n_fit,
        freq=freq,
        coef_path=path,
    )


def adstocked(weights: np.ndarray, series: np.ndarray) -> np.ndarray:
    """Adstock of a (periods, channels) series for every draw: (draws, periods, channels)."""
    lagged = lag_stack(series, weights.shape[2] - 1)  # (P, C, L+1)
    return np.einsum("pcl,dcl->dpc", lagged, weights, optimize=True)


# ---------------------------------------------------------------------------- evaluation


@dataclass
class Scenario:
    """A family of plans over one horizon: budgets ``b`` (C,) give the response per draw.

    ``base`` and ``unit`` are (D, P, C) adstocked inputs in scaled spend units; ``coef`` is
    (D, 1, C) or (D, P, C).
    """

    model: ResponseModel
    base: np.ndarray
    unit: np.ndarray
    coef: np.ndarray

    def __post_init__(self) -> None:
        self._evaluator = _evaluator(tuple(self.model.saturation))
        coef = np.ascontiguousarray(np.broadcast_to(self.coef, self.unit.shape))
        self._args = (self.base, self.unit, coef, *_group_params(self.model))
        # the level without the plan (carry-in only): subtracted from every evaluation
        self._zero = self._level(np.zeros(len(self.model.channels)))

    def response(self, budgets: np.ndarray) -> np.ndarray:
        """Each draw's and channel's response to budgets ``b`` (C,): (D, C)."""
        return self._level(np.asarray(budgets, dtype=float)) - self._zero

    def objective(self, budgets: np.ndarray, quantile: float | None) -> tuple[float, np.ndarray]:
        """The mean (or the ``quantile``) over draws of the total response, and its gradient."""
        args = (np.asarray(budgets, dtype=float), *self._args)
        if quantile is None:
            value, grad = self._evaluator.mean(*args)
            value = value - self._zero.sum(axis=1).mean()
        else:
            weights = harrell_davis(self.model.draws, quantile)
            value, grad = self._evaluator.quantile(*args, self._zero.sum(axis=1), weights)
        return float(value), np.asarray(grad, dtype=float)

    def _level(self, b: np.ndarray) -> np.ndarray:
        return np.asarray(self._evaluator.level(b, *self._args))

    def marginal(self, budgets: np.ndarray, step: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
        """Extra response per draw (D, C) of ``step`` more budget on each channel, and the extra
        spend (C,) it took: ``step`` times the budget, or times the mean budget where it is
        (next to) 0."""
        b = np.asarray(budgets, dtype=float)
        fallback = b.mean() if b.mean() > 0 else 1.0
        extra = step * np.where(b > 1e-9 * b.sum(), b, fallback)
        return self.response(b + extra) - self.response(b), extra


@lru_cache(maxsize=16)
def harrell_davis(n: int, q: float) -> np.ndarray:
    """Harrell-Davis weights of ``n`` sorted values for quantile ``q`` (sum to 1)."""
    a, b = q * (n + 1), (1 - q) * (n + 1)
    edges = beta_dist.cdf(np.arange(n + 1) / n, a, b)
    return np.diff(edges)


def fitted_window(model: ResponseModel) -> tuple[Scenario, np.ndarray]:
    """The fitted periods' observed spend as a scenario, with budgets = each channel's spend
    total (so ``m * totals`` scales every channel's observed spend by ``m``), and the totals.

    The horizon is the fitted periods plus ``max_lag`` after them (carry-out counted); there is
    no carry-in (spend before the data is unknown, as in the fit).
    """
    lag = model.max_lag
    spend = model.spend[: model.n_fit]
    totals = spend.sum(axis=0)
    safe = np.where(totals > 0, totals, 1.0)
    series = np.concatenate([spend / (model.scale * safe), np.zeros((lag, len(totals)))])
    unit = adstocked(model.weights, series)
    if model.coef_path is not None:
        tail = np.repeat(model.coef[:, None, :], lag, axis=1)
        coef = np.concatenate([model.coef_path, tail], axis=1)
    else:
        coef = model.coef[:, None, :]
    return Scenario(model, np.zeros_like(unit), unit, coef), totals


def horizon(model: ResponseModel, pattern: np.ndarray) -> Scenario:
    """Plans over the ``N`` periods after the last observed one, split over them by ``pattern``
    (N, C), each column summing to 1. Carry-in from the last ``max_lag`` observed periods is in
    ``base``; the horizon runs ``max_lag`` periods past the plan (carry-out)."""
    lag = model.max_lag
    n, c = pattern.shape
    history = model.spend[-lag:] if lag else np.zeros((0, c))
    if len(history) < lag:
        history = np.concatenate([np.zeros((lag - len(history), c)), history])
    zeros = np.zeros((n + lag, c))
    base = adstocked(model.weights, np.concatenate([history, zeros]) / model.scale)[:, lag:]
    plan = np.concatenate([np.zeros((lag, c)), pattern, np.zeros((lag, c))]) / model.scale
    unit = adstocked(model.weights, plan)[:, lag:]
    return Scenario(model, base, unit, model.coef[:, None, :])


def _group_params(model: ResponseModel) -> list[np.ndarray]:
    """The saturation parameters in ``_evaluator``'s order: per kind, per parameter, (D, 1, k)."""
    out = []
    for kind, cols in _groups(tuple(model.saturation)):
        for p in sorted(_param_names(kind)):
            out.append(np.ascontiguousarray(model.params[p][:, None, cols]))
        out.append(np.ascontiguousarray(model.scale[list(cols)]))
    return out


def _groups(saturation: tuple[str, ...]) -> list[tuple[str, tuple[int, ...]]]:
    groups: dict[str, list[int]] = {}
    for j, kind in enumerate(saturation):
        groups.setdefault(kind, []).append(j)
    return [(k, tuple(v)) for k, v in groups.items()]


def _param_names(kind: str) -> list[str]:
    return [p.name for p in SATURATIONS[kind].params]


class _Evaluator:
    """Compiled functions of budgets ``b`` and the scenario's arrays (see ``Scenario``)."""

    def __init__(self, saturation: tuple[str, ...]):
        b = pt.vector("b")
        base, unit, coef = pt.tensor3("base"), pt.tensor3("unit"), pt.tensor3("coef")
        inputs = [b, base, unit, coef]
        x = base + b[None, None, :] * unit
        blocks: list = []
        order: list[int] = []
        for kind, cols in _groups(saturation):
            params = {p: pt.tensor(p, shape=(None, 1, None)) for p in sorted(_param_names(kind))}
            scale = pt.vector(f"{kind}_scale")
            inputs += [*params.values(), scale]
            idx = list(cols)
            blocks.append(SATURATION_CURVES[kind](x[:, :, idx], params, scale))
            order += idx
        curves = blocks[0] if len(blocks) == 1 else pt.concatenate(blocks, axis=2)
        if order != sorted(order):
            curves = curves[:, :, np.argsort(order)]
        level = (coef * curves).sum(axis=1)  # (D, C): the target's media part over the horizon
        total = level.sum(axis=1)
        mean = total.mean()
        # a quantile as the Harrell-Davis weighted mean of the order statistics: smooth in the
        # budgets, where one or two order statistics would give SLSQP a kinked objective
        weights, offset = pt.vector("weights"), pt.vector("offset")  # offset: level without plan
        quantile = pt.dot(weights, pt.sort(total - offset))
        self._inputs, self._b = inputs, b
        self._level, self._mean = level, mean
        self._quantile, self._extra = quantile, [offset, weights]

    # compiled on first use: a cold numba compile of the sort in the quantile takes ~10 s
    def _compile(self, inputs: list, outputs: Any) -> Callable[..., Any]:
        return pytensor.function(inputs, outputs, on_unused_input="ignore", mode="FAST_RUN")

    @cached_property
    def level(self) -> Callable[..., Any]:
        return self._compile(self._inputs, self._level)

    @cached_property
    def mean(self) -> Callable[..., Any]:
        return self._compile(self._inputs, [self._mean, pytensor.grad(self._mean, self._b)])

    @cached_property
    def quantile(self) -> Callable[..., Any]:
        grad = pytensor.grad(self._quantile, self._b)
        return self._compile([*self._inputs, *self._extra], [self._quantile, grad])


@lru_cache(maxsize=8)
def _evaluator(saturation: tuple[str, ...]) -> _Evaluator:
    """One compiled evaluator per layout of saturation types (compiled once per process)."""
    return _Evaluator(saturation)
