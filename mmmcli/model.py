"""The PyMC backend: turn a validated config, its data and resolved priors into one ``pm.Model``.

Spends (scaled and stacked by lag, so adstock is one multiply-and-sum), controls, trend index,
Fourier terms, spend scales and experiments' counterfactual spends are ``pm.Data`` containers, so
new rows can be swapped in (``pm.set_data``) without rebuilding the graph, and the compiled code
of one model structure serves every refit (see compile.py). Channels that share a saturation
type are computed together, with their parameters stacked into vectors. Per-period components
are Deterministics that sampling does not store; they are computed from the posterior afterwards.

Calibration enters as further observed likelihoods, never as a ``pm.Potential``: a channel's
modelled contribution (or its modelled lift over an experiment's window) is the mean of a Normal
whose observed value is the experiment's result and whose sigma is the experiment's error.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from .calibration import Calibration
from .config import Config
from .data import ModelData
from .priors import PriorSet
from .transforms import ADSTOCKS, SATURATIONS, adstock, lag_stack

# Time-varying coefficient paths are Deterministics named "<coefficient>_t" (e.g. "tv_coef_t").
PATH_SUFFIX = "_t"

# Per-period Deterministics: computed after sampling, never stored in the trace while sampling.
COMPONENTS = (
    "channel_contribution",
    "control_contribution",
    "seasonality",
    "trend",
    "mu",
    "lift_effect",
)


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
        "lag": list(range(max_lag(cfg) + 1)),
    }
    labels, numbers = prior_numbers(priors)
    coords["prior_number"] = labels
    position = {label: i for i, label in enumerate(labels)}
    with pm.Model(coords=coords, check_bounds=False) as model:
        hyper = pm.Data("prior_numbers", numbers, dims="prior_number")
        values = data_values(cfg, data, calib, data.n_train)
        spend = pm.Data("spend_lagged", values["spend_lagged"], dims=("date", "channel", "lag"))
        scale = pm.Data("spend_scale", train.spend_scale, dims="channel")
        t = pm.Data("t", values["t"], dims="date")
        y = pm.Data("target", values["target"], dims="date")

        def rv(name: str, **kwargs):
            prior = priors[name]
            if prior.is_fixed:
                return hyper[position[f"{name}.value"]]
            params = {k: hyper[position[f"{name}.{k}"]] for k in prior.params}
            return prior.family.build(name, params, **kwargs)

        def coefficient(name: str, multiplicative: bool):
            base = rv(name)
            if f"{name}_grw_sigma" not in priors:
                return base
            return random_walk(
                name, base, rv(f"{name}_grw_sigma"), train.n, t.shape[0], multiplicative
            )

        mu = coefficient("intercept", multiplicative=False) + pt.zeros_like(t)

        media = Media(cfg, scale, rv, coefficient)
        contributions = media.response(spend, list(range(len(train.channels))))
        pm.Deterministic("channel_contribution", contributions, dims=("date", "channel"))
        mu = mu + contributions.sum(axis=1)

        if train.control_names:
            controls = pm.Data("controls", values["controls"], dims=("date", "control"))
            coefs = pt.stack([rv(f"{c}_coef") for c in train.control_names])
            ctrl = controls * coefs
            pm.Deterministic("control_contribution", ctrl, dims=("date", "control"))
            mu = mu + ctrl.sum(axis=1)

        if train.fourier_names:
            fourier = pm.Data("fourier_terms", values["fourier_terms"], dims=("date", "fourier"))
            season = pt.dot(fourier, rv("seasonality_coef", dims="fourier"))
            pm.Deterministic("seasonality", season, dims="date")
            mu = mu + season

        if "trend_slope" in priors:
            trend = rv("trend_slope") * t
            pm.Deterministic("trend", trend, dims="date")
            mu = mu + trend

        mu = pm.Deterministic("mu", mu, dims="date")
        sigma = rv("sigma")
        if cfg.target.likelihood == "student_t":
            pm.StudentT("y", nu=rv("nu"), mu=mu, sigma=sigma, observed=y, dims="date")
        else:
            pm.Normal("y", mu=mu, sigma=sigma, observed=y, dims="date")

        for series in calib.likelihood_series():
            j = train.channels.index(series.channel)
            noise = series.sigma if series.sigma is not None else rv(f"{series.name}_sigma")
            pm.Normal(
                series.name,
                mu=contributions[series.index, j],
                sigma=noise,
                observed=series.uplift,
            )

        if tests:
            idx = [train.channels.index(t.channel) for t in tests]
            without = pm.Data(
                "lift_lagged", values["lift_lagged"], dims=("date", "lift_test", "lag")
            )
            horizon = pm.Data("lift_horizon", values["lift_horizon"], dims=("date", "lift_test"))
            counterfactual = media.response(without, idx)
            effect = ((contributions[:, idx] - counterfactual) * horizon).sum(axis=0)
            effect = pm.Deterministic("lift_effect", effect, dims="lift_test")
            observed = [i for i, t in enumerate(tests) if t.method == "likelihood"]
            if observed:
                pm.Normal(
                    "lift_observed",
                    mu=effect[observed],
                    sigma=np.array([tests[i].sigma for i in observed]),
                    observed=np.array([tests[i].uplift for i in observed]),
                )
    return model


def max_lag(cfg: Config) -> int:
    """The longest adstock lag over all channels (every channel's weights are padded to it)."""
    lags = [ch.adstock.max_lag for ch in cfg.channels.values() if ch.adstock.type != "none"]
    return max(lags, default=0)


def data_values(cfg: Config, data: ModelData, calib: Calibration, n: int) -> dict[str, np.ndarray]:
    """Values of the model's data containers for the first ``n`` periods of ``data``.

    Spend is divided by the channels' spend scales and stacked by lag. An experiment's
    counterfactual spend (spend minus the experiment's change) exists only in the fitted
    periods; later periods have no change.
    """
    lag = max_lag(cfg)
    spend = data.spend[:n] / data.spend_scale
    values = {
        "spend_lagged": lag_stack(spend, lag),
        "t": data.t[:n],
        "target": data.y[:n],
        "controls": data.controls[:n],
        "fourier_terms": data.fourier[:n],
    }
    tests = calib.tests
    if tests:
        delta, horizon = np.zeros((n, len(tests))), np.zeros((n, len(tests)))
        for i, test in enumerate(tests):
            m = min(n, len(test.delta))
            delta[:m, i], horizon[:m, i] = test.delta[:m], test.horizon[:m]
        idx = [data.channels.index(t.channel) for t in tests]
        values["lift_lagged"] = lag_stack(spend[:, idx] - delta / data.spend_scale[idx], lag)
        values["lift_horizon"] = horizon
    return values


class Media:
    """The channels' random variables and response curves.

    ``response`` maps lagged scaled spend whose columns belong to the given channels (observed
    spend, or an experiment's counterfactual spend) through the same adstock, saturation and
    coefficient, so calibration compares like with like.
    """

    def __init__(self, cfg: Config, scale, rv, coefficient):
        self.scale = scale
        self.n = len(cfg.channels)
        lag = max_lag(cfg)
        weights, self.coefs, self.saturations = [], [], []
        for name, ch in cfg.channels.items():
            ad = ADSTOCKS[ch.adstock.type]
            sat = SATURATIONS[ch.saturation.type]
            p_ad = {p.name: rv(f"{name}_{p.name}") for p in ad.params}
            p_sat = {p.name: rv(f"{name}_{p.name}") for p in sat.params}
            own = ch.adstock.max_lag if ch.adstock.type != "none" else 0
            w = ad.weights(p_ad, own)
            if own < lag:
                w = pt.concatenate([w, pt.zeros(lag - own)])
            weights.append(w)
            self.coefs.append(coefficient(f"{name}_coef", multiplicative=True))
            self.saturations.append((sat, p_sat))
        self.weights = pt.stack(weights)  # (channels, max_lag + 1)

    def response(self, lagged, channels: list[int]):
        """Contributions (periods, len(channels)) of ``lagged`` (periods, k, lags), column k
        being channel ``channels[k]``."""
        x = adstock(lagged, self._take(self.weights, channels))
        groups: dict[str, list[int]] = {}
        for k, j in enumerate(channels):
            groups.setdefault(self.saturations[j][0].name, []).append(k)
        blocks, order = [], []
        for cols in groups.values():
            members = [channels[k] for k in cols]
            sat = self.saturations[members[0]][0]
            params = {
                p.name: pt.stack([self.saturations[j][1][p.name] for j in members])
                for p in sat.params
            }
            block = x if len(cols) == len(channels) else x[:, cols]
            blocks.append(sat.apply(block, params, self._take(self.scale, members)))
            order += cols
        curves = blocks[0] if len(blocks) == 1 else pt.concatenate(blocks, axis=1)
        if order != sorted(order):
            curves = curves[:, np.argsort(order)]
        coefs = [self.coefs[j] for j in channels]
        if all(c.ndim == 0 for c in coefs):
            return curves * pt.stack(coefs)
        return curves * pt.stack([c + pt.zeros_like(x[:, 0]) for c in coefs], axis=1)

    def _take(self, tensor, channels: list[int]):
        return tensor if channels == list(range(self.n)) else tensor[channels]


def random_walk(name: str, base, sigma, n_fit: int, length, multiplicative: bool):
    """A coefficient that drifts: a zero-started Gaussian random walk around ``base``.

    Steps are ``Normal(0, sigma)`` increments (the centred form: measured cleaner than the
    non-centred ``cumsum(sigma * z)`` on informative weekly data, see README), one per period;
    the walk is shifted to mean zero over the fitted periods. Channel coefficients vary
    multiplicatively, ``base * exp(w_t)``, so they stay positive and ``base`` (the user's prior
    or bounds) is their geometric-mean level over the fitted periods; the intercept varies
    additively,
    ``base + w_t``. Periods after the fitted ones (a holdout) carry the last value forward.
    """
    steps = pm.Normal(f"{name}_grw_step", 0.0, sigma, shape=n_fit - 1)
    w = pt.concatenate([pt.zeros(1), pt.cumsum(steps)])
    w = w - w.mean()
    w = pt.concatenate([w, pt.alloc(w[-1], pt.maximum(length - n_fit, 0))])
    path = base * pt.exp(w) if multiplicative else base + w
    return pm.Deterministic(f"{name}{PATH_SUFFIX}", path, dims="date")


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
            labels.append(f"{name}.{key}")
            values.append(float(value))
    return labels, np.asarray(values, dtype=float)
