"""Results: per-period components, channel efficiency and fit metrics from the posterior.

Per-period quantities are computed after sampling, for every draw at once, on the full
series: the training periods, then the holdout, whose carry-over, trend and seasonality
continue from the fitted ones. Tables describe the training periods; metrics cover both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pymc as pm

from ..inputs.calibration import Calibration
from ..inputs.data import ModelData
from ..spec import names
from ..spec.config import Config
from . import efficiency, predictive
from .components import component_draws
from .stats import fit_metrics, hdi


@dataclass
class Results:
    """Everything the outputs are written from."""

    contributions: pd.DataFrame  # long: date, component, mean, hdi_low, hdi_high
    channels: pd.DataFrame
    metrics: dict
    fit: pd.DataFrame  # date, actual, mean, hdi_*, predictive_*, crps, holdout
    calibration: pd.DataFrame | None = None  # one row per experiment observation
    coefficients: pd.DataFrame | None = None  # time-varying coefficients over the periods
    # per-draw channel parameters a response to new spend needs (see decisions.response)
    parameters: dict[str, np.ndarray] = field(default_factory=dict)
    loo: pd.DataFrame | None = None  # date, elpd_loo, pareto_k over the fitted periods


def compute_results(
    cfg: Config,
    data: ModelData,
    model: pm.Model,
    idata: Any,
    calib: Calibration | None = None,
    seed: int | None = None,
) -> Results:
    """Evaluate the model's components for every posterior draw and summarise them
    (``seed``: of the predictive's noise draws; default the config's sampler seed)."""
    calib = calib or Calibration()
    draws = component_draws(cfg, model, data, idata, calib)
    prob = cfg.hdi_prob
    n = data.n_train
    dates = data.dates[:n]

    parts: dict[str, np.ndarray] = {}  # component -> (S, n)
    for j, name in enumerate(data.channels):
        parts[name] = draws[names.CHANNEL_CONTRIBUTION][:, :n, j]
    for k, name in enumerate(data.control_names):
        parts[name] = draws[names.CONTROL_CONTRIBUTION][:, :n, k]
    intercept_path = names.path(names.INTERCEPT)
    if intercept_path in draws:
        parts["intercept"] = draws[intercept_path][:, :n]
    else:
        intercept = draws.get(names.INTERCEPT)
        if intercept is None:
            intercept = _param_draws(idata, names.INTERCEPT, model)
        parts["intercept"] = np.repeat(intercept[:, None], n, axis=1)
    zeros = np.zeros_like(parts["intercept"])
    parts["trend"] = draws[names.TREND][:, :n] if names.TREND in draws else zeros
    parts["seasonality"] = draws[names.SEASONALITY][:, :n] if names.SEASONALITY in draws else zeros

    rows = []
    for comp, values in parts.items():
        low, high = hdi(values, prob)
        rows.append(
            pd.DataFrame(
                {
                    "date": dates.strftime("%Y-%m-%d"),
                    "component": comp,
                    "mean": values.mean(axis=0),
                    "hdi_low": low,
                    "hdi_high": high,
                }
            )
        )
    contributions = pd.concat(rows, ignore_index=True)

    totals = {c: parts[c].sum(axis=1) for c in data.channels}
    channels = channel_table(cfg, data, totals, prob)
    channels["calibrated"] = [calib.labels(c) for c in data.channels]

    mu = draws[names.MU]
    low, high = hdi(mu, prob)
    likelihood = cfg.target.likelihood
    sigma = _param_draws(idata, names.SIGMA, model)
    nu = _param_draws(idata, names.NU, model) if likelihood == "student_t" else None
    noise_seed = cfg.sampler.seed if seed is None else seed
    replicated = mu + predictive.noise_draws(likelihood, sigma, nu, mu.shape, noise_seed)
    p_low, p_high = predictive.central(replicated, prob)
    half_low, half_high = predictive.central(replicated, 0.5)
    fit = pd.DataFrame(
        {
            "date": data.dates.strftime("%Y-%m-%d"),
            "actual": data.y,
            "mean": mu.mean(axis=0),
            "hdi_low": low,
            "hdi_high": high,
            "predictive_low": p_low,
            "predictive_high": p_high,
            "predictive_50_low": half_low,
            "predictive_50_high": half_high,
            "crps": predictive.crps(data.y, replicated),
            "holdout": np.arange(data.n) >= n,
        }
    )
    chains = int(idata.posterior.sizes["chain"])
    loglik = predictive.log_likelihood(likelihood, data.y[:n], mu[:, :n], sigma, nu)
    loo = predictive.loo(loglik, chains, list(fit["date"][:n]))
    metrics = {
        "in_sample": {
            **fit_metrics(data.y[:n], fit["mean"].to_numpy()[:n]),
            "predictive": predictive.scores(data.y[:n], replicated[:, :n]),
        },
        "holdout": None,
        "loo": loo.summary,
        "media_share": media_share(data, totals, prob),
    }
    if data.n > n:
        metrics["holdout"] = {
            **fit_metrics(data.y[n:], fit["mean"].to_numpy()[n:]),
            "predictive": predictive.scores(data.y[n:], replicated[:, n:]),
            "start": str(data.dates[n].date()),
        }
    table = calibration_table(data, calib, draws, idata, prob) if calib else None
    parameters = {
        k: v for k, v in draws.items() if k in names.RESPONSE_PARAMETERS or names.is_path(k)
    }
    return Results(
        contributions,
        channels,
        metrics,
        fit,
        table,
        coefficient_table(data, draws, prob),
        parameters,
        loo.pointwise,
    )


def coefficient_table(data: ModelData, draws: dict, prob: float) -> pd.DataFrame | None:
    """``date, component, mean, hdi_low, hdi_high`` of every time-varying coefficient."""
    rows = []
    n = data.n_train
    for name, values in draws.items():
        if not names.is_path(name):
            continue
        component = names.path_component(name)
        low, high = hdi(values[:, :n], prob)
        rows.append(
            pd.DataFrame(
                {
                    "date": data.dates[:n].strftime("%Y-%m-%d"),
                    "component": component,
                    "mean": values[:, :n].mean(axis=0),
                    "hdi_low": low,
                    "hdi_high": high,
                }
            )
        )
    return pd.concat(rows, ignore_index=True) if rows else None


def calibration_table(
    data: ModelData, calib: Calibration, draws: dict, idata: Any, prob: float
) -> pd.DataFrame:
    """Each experiment observation beside the posterior's implied value.

    ``z = (observed - model_mean) / sqrt(sigma^2 + model_sd^2)``: |z| > 3 means model and
    experiment disagree by more than their combined uncertainty explains.
    """
    rows = []
    media = draws[names.CHANNEL_CONTRIBUTION]
    for s in calib.series:
        j = data.channels.index(s.channel)
        values = media[:, s.index, j]
        if s.sigma is not None:
            sigma = s.sigma
        elif names.uplift_sigma(s.channel) in idata.posterior:
            noise = idata.posterior[names.uplift_sigma(s.channel)]
            sigma = np.full(len(s.index), float(noise.mean()))
        else:
            sigma = np.full(len(s.index), np.nan)
        for k, pos in enumerate(s.index):
            rows.append(
                _calib_row(
                    s.source.name,
                    s.channel,
                    str(data.dates[pos].date()),
                    float(s.uplift[k]),
                    float(sigma[k]),
                    values[:, k],
                    prob,
                )
            )
    for i, t in enumerate(calib.tests):
        rows.append(
            _calib_row(
                t.source.name,
                t.channel,
                t.window,
                t.uplift,
                t.sigma,
                draws[names.LIFT_EFFECT][:, i],
                prob,
            )
        )
    return pd.DataFrame(rows)


def _calib_row(source, channel, when, observed, sigma, values, prob) -> dict:
    low, high = hdi(values, prob)
    mean, sd = float(values.mean()), float(values.std())
    spread = np.sqrt((sigma if np.isfinite(sigma) else 0.0) ** 2 + sd**2)
    return {
        "source": source,
        "channel": channel,
        "date_or_window": when,
        "observed": observed,
        "sigma": sigma,
        "model_mean": mean,
        "model_hdi_low": float(low),
        "model_hdi_high": float(high),
        "z": (observed - mean) / spread if spread > 0 else np.nan,
    }


def channel_table(
    cfg: Config, data: ModelData, totals: dict[str, np.ndarray], prob: float
) -> pd.DataFrame:
    """Spend, contribution, share of media effect and ROAS (revenue) or CPA (conversions)."""

    def interval(x: np.ndarray) -> tuple[float, float]:
        low, high = hdi(x, prob)
        return float(low), float(high)

    media = sum(totals.values())
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = {c: np.where(media != 0, v / media, np.nan) for c, v in totals.items()}
    rows = []
    for j, name in enumerate(data.channels):
        spend = float(data.spend[: data.n_train, j].sum())
        contrib = totals[name]
        low, high = hdi(contrib, prob)
        row = {
            "channel": name,
            "spend": spend,
            "contribution_mean": float(contrib.mean()),
            "contribution_hdi_low": float(low),
            "contribution_hdi_high": float(high),
            "share_mean": float(np.nanmean(shares[name])),
        }
        row.update(efficiency.summary(cfg.target.kind, contrib, spend, interval))
        rows.append(row)
    return pd.DataFrame(rows)


def media_share(data: ModelData, totals: dict[str, np.ndarray], prob: float) -> dict | None:
    """All channels' contribution over the fitted periods as a share of the target's total:
    mean and HDI over draws (None when the target's total is not positive)."""
    target = float(data.y[: data.n_train].sum())
    if target <= 0 or not totals:
        return None
    share = sum(totals.values()) / target
    low, high = hdi(share[:, None], prob)
    return {
        "mean": float(share.mean()),
        "hdi_low": float(low[0]),
        "hdi_high": float(high[0]),
        "hdi_prob": prob,
    }


def _param_draws(idata, name: str, model: pm.Model) -> np.ndarray:
    post = idata.posterior
    if name in post:
        return np.asarray(post[name].stack(sample=("chain", "draw")).values)
    # a fixed constant: the same value for every draw
    n = post.sizes["chain"] * post.sizes["draw"]
    value = float(model.named_vars[name].eval()) if name in model.named_vars else 0.0
    return np.full(n, value)
