"""The PyMC backend: turn a validated config, its data and resolved priors into one ``pm.Model``.

Spends, controls, trend index, Fourier terms, spend scales and calibration spend changes are
``pm.Data`` containers, so new rows can be swapped in (``pm.set_data``) without rebuilding the
graph. Per-period components are Deterministics that sampling does not store; they are computed
from the posterior afterwards.

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
from .priors import PriorSet, ResolvedPrior
from .transforms import ADSTOCKS, SATURATIONS, convolve

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
    }
    with pm.Model(coords=coords) as model:
        values = data_values(data, calib, data.n_train)
        spend = pm.Data("spend", values["spend"], dims=("date", "channel"))
        scale = pm.Data("spend_scale", train.spend_scale, dims="channel")
        t = pm.Data("t", values["t"], dims="date")
        y = pm.Data("target", values["target"], dims="date")

        def rv(name: str, **kwargs):
            return _variable(priors[name], **kwargs)

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
            delta = pm.Data("lift_delta", values["lift_delta"], dims=("date", "lift_test"))
            horizon = pm.Data("lift_horizon", values["lift_horizon"], dims=("date", "lift_test"))
            counterfactual = media.response(spend[:, idx] - delta, idx)
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


def data_values(data: ModelData, calib: Calibration, n: int) -> dict[str, np.ndarray]:
    """Values of the model's data containers for the first ``n`` periods of ``data``.

    Calibration spend changes exist only in the fitted periods; later periods get zeros.
    """
    values = {
        "spend": data.spend[:n],
        "t": data.t[:n],
        "target": data.y[:n],
        "controls": data.controls[:n],
        "fourier_terms": data.fourier[:n],
    }
    tests = calib.tests
    if tests:
        for key in ("delta", "horizon"):
            full = np.zeros((n, len(tests)))
            for i, test in enumerate(tests):
                vec = getattr(test, key)
                full[: min(n, len(vec)), i] = vec[:n]
            values[f"lift_{key}"] = full
    return values


class Media:
    """The channels' random variables and response curves.

    ``response`` maps any spend matrix whose columns belong to the given channels (observed
    spend, or counterfactual spend of an experiment) through the same adstock, saturation and
    coefficient, so calibration compares like with like.
    """

    def __init__(self, cfg: Config, scale, rv, coefficient):
        self.scale = scale
        self.max_lag = max(
            (
                ch.adstock.max_lag if ch.adstock.type != "none" else 0
                for ch in cfg.channels.values()
            ),
            default=0,
        )
        weights, self.coefs, self.saturations = [], [], []
        for name, ch in cfg.channels.items():
            ad = ADSTOCKS[ch.adstock.type]
            sat = SATURATIONS[ch.saturation.type]
            p_ad = {p.name: rv(f"{name}_{p.name}") for p in ad.params}
            p_sat = {p.name: rv(f"{name}_{p.name}") for p in sat.params}
            lag = ch.adstock.max_lag if ch.adstock.type != "none" else 0
            w = ad.weights(p_ad, lag)
            if lag < self.max_lag:
                w = pt.concatenate([w, pt.zeros(self.max_lag - lag)])
            weights.append(w)
            self.coefs.append(coefficient(f"{name}_coef", multiplicative=True))
            self.saturations.append((sat, p_sat))
        self.weights = pt.stack(weights)  # (channels, max_lag + 1)

    def response(self, spend, channels: list[int]):
        """Contributions (periods, len(channels)) of ``spend`` whose column k is channel k."""
        scale = self.scale[channels]
        x = spend / scale
        if self.max_lag:
            x = convolve(x, self.weights[channels], self.max_lag)
        columns = []
        for k, j in enumerate(channels):
            sat, params = self.saturations[j]
            columns.append(self.coefs[j] * sat.apply(x[:, k], params, scale[k]))
        return pt.stack(columns, axis=1)


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


def _variable(prior: ResolvedPrior, **kwargs):
    """The model variable for one prior: a random variable, or a constant when fixed."""
    if prior.is_fixed:
        return pt.constant(prior.value, name=prior.name)
    return prior.family.build(prior.name, prior.params, **kwargs)
