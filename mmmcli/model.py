"""The PyMC backend: turn a validated config, its data and resolved priors into one ``pm.Model``.

Spends, controls, trend index, Fourier terms and spend scales are ``pm.Data`` containers, so
new rows can be swapped in (``pm.set_data``) without rebuilding the graph. Per-period components
are Deterministics that sampling does not store; they are computed from the posterior afterwards.
"""

from __future__ import annotations

import pymc as pm
import pytensor.tensor as pt

from .config import Config
from .data import ModelData
from .priors import PriorSet, ResolvedPrior
from .transforms import ADSTOCKS, SATURATIONS, convolve

# Per-period Deterministics: computed after sampling, never stored in the trace while sampling.
COMPONENTS = ("channel_contribution", "control_contribution", "seasonality", "trend", "mu")


def build_model(cfg: Config, data: ModelData, priors: PriorSet) -> pm.Model:
    """The MMM for the training periods of ``data``."""
    train = data.subset(data.n_train)
    coords = {
        "date": train.dates,
        "channel": train.channels,
        "control": train.control_names,
        "fourier": train.fourier_names,
    }
    with pm.Model(coords=coords) as model:
        spend = pm.Data("spend", train.spend, dims=("date", "channel"))
        scale = pm.Data("spend_scale", train.spend_scale, dims="channel")
        t = pm.Data("t", train.t, dims="date")
        y = pm.Data("target", train.y, dims="date")

        def rv(name: str, **kwargs):
            return _variable(priors[name], **kwargs)

        intercept = rv("intercept")
        mu = intercept + pt.zeros_like(t)

        media = channel_contributions(cfg, priors, spend, scale, rv)
        pm.Deterministic("channel_contribution", media, dims=("date", "channel"))
        mu = mu + media.sum(axis=1)

        if train.control_names:
            controls = pm.Data("controls", train.controls, dims=("date", "control"))
            coefs = pt.stack([rv(f"{c}_coef") for c in train.control_names])
            ctrl = controls * coefs
            pm.Deterministic("control_contribution", ctrl, dims=("date", "control"))
            mu = mu + ctrl.sum(axis=1)

        if train.fourier_names:
            fourier = pm.Data("fourier_terms", train.fourier, dims=("date", "fourier"))
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
    return model


def channel_contributions(cfg: Config, priors: PriorSet, spend, scale, rv):
    """Per-period contribution of every channel (periods, channels), in target units.

    All channels' carry-over is one batched convolution; saturation is applied per channel.
    """
    max_lag = max(
        ch.adstock.max_lag if ch.adstock.type != "none" else 0 for ch in cfg.channels.values()
    )
    weights, coefs = [], []
    params_by_channel = {}
    for name, ch in cfg.channels.items():
        ad = ADSTOCKS[ch.adstock.type]
        sat = SATURATIONS[ch.saturation.type]
        p_ad = {p.name: rv(f"{name}_{p.name}") for p in ad.params}
        p_sat = {p.name: rv(f"{name}_{p.name}") for p in sat.params}
        lag = ch.adstock.max_lag if ch.adstock.type != "none" else 0
        w = ad.weights(p_ad, lag)
        if lag < max_lag:
            w = pt.concatenate([w, pt.zeros(max_lag - lag)])
        weights.append(w)
        coefs.append(rv(f"{name}_coef"))
        params_by_channel[name] = (sat, p_sat)
    x = spend / scale
    adstocked = convolve(x, pt.stack(weights), max_lag) if max_lag else x
    columns = [
        coefs[j] * sat.apply(adstocked[:, j], p_sat, scale[j])
        for j, (sat, p_sat) in enumerate(params_by_channel.values())
    ]
    return pt.stack(columns, axis=1)


def _variable(prior: ResolvedPrior, **kwargs):
    """The model variable for one prior: a random variable, or a constant when fixed."""
    if prior.is_fixed:
        return pt.constant(prior.value, name=prior.name)
    return prior.family.build(prior.name, prior.params, **kwargs)
