"""The PyMC backend: turn a validated config, its data and resolved priors into one ``pm.Model``.

Spends (scaled and stacked by lag, so adstock is one multiply-and-sum), controls, trend index,
Fourier terms, spend scales and experiments' counterfactual spends are ``pm.Data`` containers,
so new rows can be swapped in (``pm.set_data``) without rebuilding the graph, and the compiled
code of one model structure serves every refit (see ``sampling.compile``). Channels that share a
saturation type are computed together, with their parameters stacked into vectors. Per-period
components are Deterministics that sampling does not store; they are computed from the posterior
afterwards.

Two reparametrisations make default fits sample cleanly (measured on the stress corpus, see
README): a channel with a ROAS or CPA prior (the default) samples its return over the fitted
periods and derives its coefficient from it, so its contribution's level no longer trades off
against the saturation curve's shape; and with the default intercept the free variable is the
model mean's offset from the data's mean, the intercept being whatever level makes up the rest,
so the media's level and the intercept no longer trade off along a ridge either.

Calibration enters as further observed likelihoods, never as a ``pm.Potential``: a channel's
modelled contribution (or its modelled lift over an experiment's window) is the mean of a Normal
whose observed value is the experiment's result and whose sigma is the experiment's error.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pytensor.tensor import TensorLike
from pytensor.tensor.variable import TensorVariable

from ..errors import ModelError
from ..inputs.calibration import Calibration
from ..inputs.data import ModelData
from ..priors.resolve import PriorSet
from ..spec import names
from ..spec.config import Config
from . import distributions
from .transforms import ADSTOCK_WEIGHTS, SATURATION_CURVES, adstock, lag_stack


def build_model(
    cfg: Config, data: ModelData, priors: PriorSet, calib: Calibration | None = None
) -> pm.Model:
    """The MMM for the training periods of ``data``, with calibration likelihoods if given."""
    calib = calib or Calibration()
    train = data.subset(data.n_train)
    tests = calib.tests
    coords = {
        "date": train.dates,
        "channel": train.channels,
        "control": train.control_names,
        "fourier": train.fourier_names,
        "lift_test": [f"{t.channel}:{t.window}" for t in tests],
        "lag": list(range(cfg.max_lag + 1)),
    }
    labels, numbers = prior_numbers(priors)
    coords["prior_number"] = labels
    position = {label: i for i, label in enumerate(labels)}
    with pm.Model(coords=coords, check_bounds=False) as model:
        hyper = pm.Data(names.PRIOR_NUMBERS, numbers, dims="prior_number")
        values = data_values(cfg, data, calib, data.n_train)
        spend = pm.Data(
            names.SPEND_LAGGED, values[names.SPEND_LAGGED], dims=("date", "channel", "lag")
        )
        scale = pm.Data(names.SPEND_SCALE, train.spend_scale, dims="channel")
        t = pm.Data(names.TIME_INDEX, values[names.TIME_INDEX], dims="date")
        y = pm.Data(names.TARGET, values[names.TARGET], dims="date")

        def rv(name: str, **kwargs):
            prior = priors[name]
            if prior.is_fixed:
                return hyper[position[f"{name}.value"]]
            params = {
                k: hyper[position[f"{name}.{k}"]]
                if np.ndim(v) == 0
                else hyper[[position[f"{name}.{k}[{i}]"] for i in range(np.size(v))]]
                for k, v in prior.params.items()
            }
            return distributions.build(prior.dist, name, params, **kwargs)

        def drift(name: str) -> TensorVariable | None:
            """The centred random walk of a time-varying variable, or None."""
            if names.grw_sigma(name) not in priors:
                return None
            return random_walk(name, rv(names.grw_sigma(name)), train.n, t.shape[0])

        mu = pt.zeros_like(t)
        fit_rows = pm.Data(names.FIT_ROWS, values[names.FIT_ROWS], dims="date")
        media = Media(cfg, scale, rv)
        everyone = list(range(len(train.channels)))
        curves = media.curves(spend, everyone)
        # a ROAS/CPA prior's coefficient: the one that gives that return over the fitted periods
        spent = (spend[:, :, 0] * fit_rows[:, None]).sum(axis=0) * scale
        reach = (curves * fit_rows[:, None]).sum(axis=0)
        for j, name in enumerate(train.channels):
            coef = names.coefficient(name)
            w = drift(coef)
            factor = 1.0 if w is None else pt.exp(w)
            if coef in priors:
                base = rv(coef)
            else:
                effect = (
                    spent[j] * rv(names.roas(name))
                    if names.roas(name) in priors
                    else spent[j] / rv(names.cpa(name))
                )
                base = effect / (
                    reach[j] if w is None else (curves[:, j] * factor * fit_rows).sum()
                )
            if w is None:
                media.coefs.append(base)
            else:
                media.coefs.append(pm.Deterministic(names.path(coef), base * factor, dims="date"))
        pm.Deterministic(names.ADSTOCK_WEIGHTS, media.weights, dims=("channel", "lag"))
        latest = [c if c.ndim == 0 else c[train.n - 1] for c in media.coefs]
        pm.Deterministic(names.CHANNEL_COEF, pt.stack(latest), dims="channel")
        contributions = media.scaled(curves, everyone)
        pm.Deterministic(names.CHANNEL_CONTRIBUTION, contributions, dims=("date", "channel"))
        mu = mu + contributions.sum(axis=1)

        if train.control_names:
            controls = pm.Data(names.CONTROLS, values[names.CONTROLS], dims=("date", "control"))
            coefs = pt.stack([rv(names.coefficient(c)) for c in train.control_names])
            ctrl = controls * coefs
            pm.Deterministic(names.CONTROL_CONTRIBUTION, ctrl, dims=("date", "control"))
            mu = mu + ctrl.sum(axis=1)

        if train.fourier_names:
            fourier = pm.Data(
                names.FOURIER_TERMS, values[names.FOURIER_TERMS], dims=("date", "fourier")
            )
            season = pt.dot(fourier, rv(names.SEASONALITY_COEF, dims="fourier"))
            pm.Deterministic(names.SEASONALITY, season, dims="date")
            mu = mu + season

        if names.TREND_SLOPE in priors:
            trend = rv(names.TREND_SLOPE) * t
            pm.Deterministic(names.TREND, trend, dims="date")
            mu = mu + trend

        if names.INTERCEPT in priors:
            intercept = rv(names.INTERCEPT)
        else:  # the level that puts the fitted mean at the data's mean, plus a small offset
            fitted = fit_rows.sum()
            gap = ((y - mu) * fit_rows).sum() / fitted
            intercept = pm.Deterministic(names.INTERCEPT, gap + rv(names.INTERCEPT_OFFSET))
        w = drift(names.INTERCEPT)
        if w is not None:
            intercept = pm.Deterministic(names.path(names.INTERCEPT), intercept + w, dims="date")
        mu = pm.Deterministic(names.MU, mu + intercept, dims="date")
        sigma = rv(names.SIGMA)
        if cfg.target.likelihood == "student_t":
            pm.StudentT(
                names.OBSERVED, nu=rv(names.NU), mu=mu, sigma=sigma, observed=y, dims="date"
            )
        else:
            pm.Normal(names.OBSERVED, mu=mu, sigma=sigma, observed=y, dims="date")

        for series in calib.likelihood_series():
            j = train.channels.index(series.channel)
            noise = (
                series.sigma if series.sigma is not None else rv(names.uplift_sigma(series.channel))
            )
            pm.Normal(
                series.name,
                mu=contributions[series.index, j],
                sigma=noise,
                observed=series.uplift,
            )

        if tests:
            idx = [train.channels.index(t.channel) for t in tests]
            without = pm.Data(
                names.LIFT_LAGGED, values[names.LIFT_LAGGED], dims=("date", "lift_test", "lag")
            )
            horizon = pm.Data(
                names.LIFT_HORIZON, values[names.LIFT_HORIZON], dims=("date", "lift_test")
            )
            counterfactual = media.response(without, idx)
            effect = ((contributions[:, idx] - counterfactual) * horizon).sum(axis=0)
            effect = pm.Deterministic(names.LIFT_EFFECT, effect, dims="lift_test")
            observed = [i for i, t in enumerate(tests) if t.method == "likelihood"]
            if observed:
                pm.Normal(
                    names.LIFT_OBSERVED,
                    mu=effect[observed],
                    sigma=np.array([tests[i].sigma for i in observed]),
                    observed=np.array([tests[i].uplift for i in observed]),
                )
    return model


def data_values(cfg: Config, data: ModelData, calib: Calibration, n: int) -> dict[str, np.ndarray]:
    """Values of the model's data containers for the first ``n`` periods of ``data``.

    Spend is divided by the channels' spend scales and stacked by lag. The trend index and
    the controls are centred on their means over the fitted periods, so the intercept is the
    level at an average period and does not trade off against a slope or a control whose mean
    is far from zero (measured: a price near 1 made intercept and price coefficient r = -1
    and cost 5x in ESS). An experiment's
    counterfactual spend (spend minus the experiment's change) exists only in the fitted
    periods; later periods have no change.
    """
    lag = cfg.max_lag
    spend = data.spend[:n] / data.spend_scale
    fit = data.n_train
    values = {
        names.SPEND_LAGGED: lag_stack(spend, lag),
        names.TIME_INDEX: data.t[:n] - data.t[:fit].mean(),
        names.TARGET: data.y[:n],
        names.CONTROLS: data.controls[:n] - data.controls[:fit].mean(axis=0),
        names.FOURIER_TERMS: data.fourier[:n],
        names.FIT_ROWS: (np.arange(n) < data.n_train).astype(float),
    }
    tests = calib.tests
    if tests:
        delta, horizon = np.zeros((n, len(tests))), np.zeros((n, len(tests)))
        for i, test in enumerate(tests):
            m = min(n, len(test.delta))
            delta[:m, i], horizon[:m, i] = test.delta[:m], test.horizon[:m]
        idx = [data.channels.index(t.channel) for t in tests]
        values[names.LIFT_LAGGED] = lag_stack(spend[:, idx] - delta / data.spend_scale[idx], lag)
        values[names.LIFT_HORIZON] = horizon
    return values


class Media:
    """The channels' adstock and saturation, and their coefficients once the model sets them.

    ``curves`` maps lagged scaled spend whose columns belong to the given channels (observed
    spend, or an experiment's counterfactual spend) through the same adstock and saturation;
    ``response`` multiplies by the same coefficients, so calibration compares like with like.
    """

    def __init__(self, cfg: Config, scale, rv):
        self.scale = scale
        self.n = len(cfg.channels)
        self.coefs: list = []  # one per channel, a scalar or a path over dates
        lag = cfg.max_lag
        weights, self.saturations = [], []
        for name, ch in cfg.channels.items():
            params = {
                (block, p.name): rv(names.transform_param(name, p.name))
                for block, _, p in ch.transform_params()
            }
            p_ad = {p: v for (block, p), v in params.items() if block == "adstock"}
            p_sat = {p: v for (block, p), v in params.items() if block == "saturation"}
            w = ADSTOCK_WEIGHTS[ch.adstock.type](p_ad, ch.lag)
            if ch.lag < lag:
                w = pt.concatenate([w, pt.zeros(lag - ch.lag)])
            weights.append(w)
            self.saturations.append((ch.saturation.type, p_sat))
        self.weights = pt.stack(weights)  # (channels, max_lag + 1)

    def curves(self, lagged: TensorLike, channels: list[int]) -> TensorVariable:
        """Saturated adstocked spend (periods, len(channels)) of ``lagged`` (periods, k, lags),
        column k being channel ``channels[k]``, before the coefficients."""
        x = adstock(lagged, self._take(self.weights, channels))
        groups: dict[str, list[int]] = {}
        for k, j in enumerate(channels):
            groups.setdefault(self.saturations[j][0], []).append(k)
        blocks, order = [], []
        for kind, cols in groups.items():
            members = [channels[k] for k in cols]
            params = {
                p: pt.stack([self.saturations[j][1][p] for j in members])
                for p in self.saturations[members[0]][1]
            }
            block = x if len(cols) == len(channels) else x[:, cols]
            curve = SATURATION_CURVES[kind]
            blocks.append(curve(block, params, self._take(self.scale, members)))
            order += cols
        curves = blocks[0] if len(blocks) == 1 else pt.concatenate(blocks, axis=1)
        if order != sorted(order):
            curves = curves[:, np.argsort(order)]
        return curves

    def scaled(self, curves: TensorVariable, channels: list[int]) -> TensorVariable:
        """``curves`` of the given channels times their coefficients: contributions."""
        coefs = [self.coefs[j] for j in channels]
        if all(c.ndim == 0 for c in coefs):
            return curves * pt.stack(coefs)
        return curves * pt.stack([c + pt.zeros_like(curves[:, 0]) for c in coefs], axis=1)

    def response(self, lagged: TensorLike, channels: list[int]) -> TensorVariable:
        """Contributions of ``lagged`` (see ``curves``)."""
        return self.scaled(self.curves(lagged, channels), channels)

    def _take(self, tensor, channels: list[int]):
        return tensor if channels == list(range(self.n)) else tensor[channels]


def random_walk(name: str, sigma: TensorLike, n_fit: int, length: TensorLike) -> TensorVariable:
    """A zero-started Gaussian random walk over the fitted periods, shifted to mean zero.

    Steps are ``Normal(0, sigma)`` increments (the centred form: measured cleaner than the
    non-centred ``cumsum(sigma * z)`` on informative weekly data, see README), one per period.
    Channel coefficients vary multiplicatively, ``base * exp(w_t)``, so they stay positive and
    ``base`` is their geometric-mean level over the fitted periods; the intercept varies
    additively, ``base + w_t``. Periods after the fitted ones (a holdout) carry the last value
    forward.
    """
    steps = pm.Normal(names.grw_step(name), 0.0, sigma, shape=n_fit - 1)
    w = pt.concatenate([pt.zeros(1), pt.cumsum(steps)])
    w = w - w.mean()
    return pt.concatenate([w, pt.alloc(w[-1], pt.maximum(length - n_fit, 0))])


def prior_numbers(priors: PriorSet) -> tuple[list[str], np.ndarray]:
    """Every number of every prior ("tv_coef.sigma", fixed values as "name.value"), in order.

    The graph reads them from one data vector instead of baking them in as constants, so its
    compiled code depends on the model's structure only: a refit whose data-scaled default
    priors moved with the new rows, or an edited prior, reuses the cached machine code.
    """
    labels, values = [], []
    for name, prior in priors.items():
        items = {"value": prior.value} if prior.is_fixed else prior.params
        for key, value in items.items():
            if np.ndim(value) == 0:
                labels.append(f"{name}.{key}")
                values.append(float(value))
            else:  # a vector prior (one per element, from a refresh): one number per element
                for i, element in enumerate(np.ravel(value)):
                    labels.append(f"{name}.{key}[{i}]")
                    values.append(float(element))
    return labels, np.asarray(values, dtype=float)


def check_initial_point(model: pm.Model) -> None:
    """Refuse a model whose log-density is not finite at its initial point."""
    logps = model.point_logps(mode="FAST_COMPILE")  # one evaluation: skip numba compilation
    bad = [name for name, value in logps.items() if not np.isfinite(value)]
    if bad:
        raise ModelError(
            f"the model cannot be evaluated at its initial point: log-density of "
            f"{', '.join(bad)} is not finite (check priors against the data's scale)"
        )
