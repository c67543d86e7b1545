"""Results: per-period components, channel efficiency and fit metrics from the posterior.

Per-period quantities are computed after sampling (``pm.compute_deterministics``) on the full
series: the training periods, then the holdout, whose carry-over, trend and seasonality
continue from the fitted ones. Tables describe the training periods; metrics cover both.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pymc as pm

from .calibration import Calibration
from .config import Config
from .data import ModelData
from .model import COMPONENTS, PATH_SUFFIX, data_values
from .stats import fit_metrics, hdi


@dataclass
class Results:
    """Everything the outputs are written from."""

    contributions: pd.DataFrame  # long: date, component, mean, hdi_low, hdi_high
    channels: pd.DataFrame
    metrics: dict
    fit: pd.DataFrame  # date, actual, mean, hdi_low, hdi_high, holdout
    totals: dict[str, np.ndarray]  # channel -> per-draw total contribution (training)
    calibration: pd.DataFrame | None = None  # one row per experiment observation
    coefficients: pd.DataFrame | None = None  # time-varying coefficients over the periods


def compute_results(
    cfg: Config, data: ModelData, model: pm.Model, idata, calib: Calibration | None = None
) -> Results:
    """Evaluate the model's components for every posterior draw and summarise them."""
    calib = calib or Calibration()
    draws = component_draws(cfg, model, data, idata, calib)
    prob = cfg.hdi_prob
    n = data.n_train
    dates = data.dates[:n]

    parts: dict[str, np.ndarray] = {}  # component -> (S, n)
    for j, name in enumerate(data.channels):
        parts[name] = draws["channel_contribution"][:, :n, j]
    for k, name in enumerate(data.control_names):
        parts[name] = draws["control_contribution"][:, :n, k]
    if "intercept" + PATH_SUFFIX in draws:
        parts["intercept"] = draws["intercept" + PATH_SUFFIX][:, :n]
    else:
        intercept = _param_draws(idata, "intercept", model)
        parts["intercept"] = np.repeat(intercept[:, None], n, axis=1)
    parts["trend"] = (
        draws["trend"][:, :n] if "trend" in draws else np.zeros_like(parts["intercept"])
    )
    parts["seasonality"] = (
        draws["seasonality"][:, :n] if "seasonality" in draws else np.zeros_like(parts["intercept"])
    )

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

    mu = draws["mu"]
    low, high = hdi(mu, prob)
    fit = pd.DataFrame(
        {
            "date": data.dates.strftime("%Y-%m-%d"),
            "actual": data.y,
            "mean": mu.mean(axis=0),
            "hdi_low": low,
            "hdi_high": high,
            "holdout": np.arange(data.n) >= n,
        }
    )
    metrics = {"in_sample": fit_metrics(data.y[:n], fit["mean"].to_numpy()[:n]), "holdout": None}
    if data.n > n:
        metrics["holdout"] = fit_metrics(data.y[n:], fit["mean"].to_numpy()[n:])
        metrics["holdout"]["start"] = str(data.dates[n].date())
    table = calibration_table(data, calib, draws, idata, prob) if calib else None
    return Results(
        contributions, channels, metrics, fit, totals, table, coefficient_table(data, draws, prob)
    )


def coefficient_table(data: ModelData, draws: dict, prob: float) -> pd.DataFrame | None:
    """``date, component, mean, hdi_low, hdi_high`` of every time-varying coefficient."""
    rows = []
    n = data.n_train
    for name, values in draws.items():
        if not name.endswith(PATH_SUFFIX):
            continue
        component = name.removesuffix(PATH_SUFFIX).removesuffix("_coef")
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


def calibration_table(data: ModelData, calib: Calibration, draws: dict, idata, prob: float):
    """Each experiment observation beside the posterior's implied value.

    ``z = (observed - model_mean) / sqrt(sigma^2 + model_sd^2)``: |z| > 3 means model and
    experiment disagree by more than their combined uncertainty explains.
    """
    rows = []
    media = draws["channel_contribution"]
    for s in calib.series:
        j = data.channels.index(s.channel)
        values = media[:, s.index, j]
        if s.sigma is not None:
            sigma = s.sigma
        elif f"{s.name}_sigma" in idata.posterior:
            sigma = np.full(len(s.index), float(idata.posterior[f"{s.name}_sigma"].mean()))
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
                draws["lift_effect"][:, i],
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


def channel_table(cfg: Config, data: ModelData, totals: dict[str, np.ndarray], prob: float):
    """Spend, contribution, share of media effect and ROAS (revenue) or CPA (conversions)."""
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
        roas = contrib / spend
        r_low, r_high = hdi(roas, prob)
        if cfg.target.kind == "revenue":
            row.update(
                roas_mean=float(roas.mean()), roas_hdi_low=float(r_low), roas_hdi_high=float(r_high)
            )
        else:
            # CPA = spend / contribution; its interval is the inverted interval of
            # contribution per unit of spend, so a contribution near zero gives inf, not a crash.
            with np.errstate(divide="ignore"):
                row.update(
                    cpa_mean=spend / row["contribution_mean"]
                    if row["contribution_mean"] > 0
                    else np.inf,
                    cpa_hdi_low=1 / r_high if r_high > 0 else np.inf,
                    cpa_hdi_high=1 / r_low if r_low > 0 else np.inf,
                )
        rows.append(row)
    return pd.DataFrame(rows)


def component_draws(
    cfg: Config, model: pm.Model, data: ModelData, idata, calib: Calibration
) -> dict[str, np.ndarray]:
    """Per-period Deterministics for every draw, as (draws, periods[, dim]) arrays, full series.

    The components' graph is vectorised over draws (one batched evaluation per chunk of draws)
    instead of being called once per draw.
    """
    if data.n > data.n_train:
        values = data_values(cfg, data, calib, data.n)
        values = {k: v for k, v in values.items() if k in model.named_vars}
        pm.set_data(values, model=model, coords={"date": data.dates})
    names = [c for c in COMPONENTS if c in model.named_vars]
    names += [n for n in model.named_vars if n.endswith(PATH_SUFFIX) and n not in names]
    post = idata.posterior
    free = [rv for rv in model.free_RVs if rv.name in post]
    samples = {
        rv.name: np.asarray(post[rv.name].stack(sample=("chain", "draw")).transpose("sample", ...))
        for rv in free
    }
    evaluate = _batched_function(model, free, names)
    total = next(iter(samples.values())).shape[0] if samples else 1
    chunk = max(1, CHUNK_ELEMENTS // _elements_per_draw(model))
    pieces: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for lo in range(0, total, chunk):
        batch = [samples[rv.name][lo : lo + chunk] for rv in free]
        n_draws = min(chunk, total - lo)
        for name, value in zip(names, evaluate(*batch), strict=True):
            value = np.asarray(value)
            if value.ndim == 0 or value.shape[0] != n_draws:  # does not depend on any draw
                value = np.broadcast_to(value, (n_draws, *value.shape))
            pieces[name].append(value)
    return {name: np.concatenate(parts, axis=0) for name, parts in pieces.items()}


# Largest number of float64 elements one batched evaluation may create per output (~16 MB).
CHUNK_ELEMENTS = 2_000_000


def _batched_function(model: pm.Model, free: list, names: list[str]):
    """A compiled function from draws of the free variables (leading draw axis) to components."""
    import pytensor
    from pytensor.graph.replace import vectorize_graph

    batched = {rv: rv.type.clone(shape=(None, *rv.type.shape))(rv.name) for rv in free}
    outputs = vectorize_graph([model[name] for name in names], replace=batched)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pytensor.function(
            [batched[rv] for rv in free], outputs, mode="FAST_COMPILE", on_unused_input="ignore"
        )


def _elements_per_draw(model: pm.Model) -> int:
    """The largest intermediate per draw: periods x channels x lags (the adstock product)."""
    sizes = {dim: int(length.eval()) for dim, length in model.dim_lengths.items()}
    return max(1, sizes.get("date", 1) * sizes.get("channel", 1) * sizes.get("lag", 1))


def _param_draws(idata, name: str, model: pm.Model) -> np.ndarray:
    post = idata.posterior
    if name in post:
        return np.asarray(post[name].stack(sample=("chain", "draw")).values)
    # a fixed constant: the same value for every draw
    n = post.sizes["chain"] * post.sizes["draw"]
    value = float(model.named_vars[name].eval()) if name in model.named_vars else 0.0
    return np.full(n, value)
