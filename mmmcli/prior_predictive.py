"""``mmm prior``: what the priors imply before the data are seen (prior predictive check).

Draws parameters from their priors (the likelihood is not touched), simulates the target and
each channel's contribution, and summarises: the target's 94% range per period against the
observed series, and each channel's contribution, share of media and ROAS/CPA. A folder
``<dir>/<name>/prior-<timestamp>/`` receives ``prior_predictive.csv``,
``prior_predictive_target.csv`` and ``plots/prior_predictive.png``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pymc as pm

from .config import Config, load_config
from .model import build_model
from .outputs import write_csv, write_json
from .pipeline import prepare
from .plots import prior_predictive_plot
from .runs import RunFolder, runs_folder

OUTSIDE_LIMIT = 0.2  # flag when the observed target leaves the 94% range on > 20% of periods


def prior_check(
    config: Config | str | Path,
    *,
    out: Path | None = None,
    draws: int = 500,
    seed: int | None = None,
    prob: float = 0.94,
) -> dict:
    """Sample the prior predictive, write the prior run folder, return the summary."""
    cfg = config if isinstance(config, Config) else load_config(config)
    data, priors, calib = prepare(cfg)
    model = build_model(cfg, data, priors, calib)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata = pm.sample_prior_predictive(
            draws=draws,
            model=model,
            var_names=["y", "channel_contribution"],
            random_seed=cfg.sampler.seed if seed is None else seed,
            compile_kwargs={"mode": "FAST_COMPILE"},
        )
    y = _draws(idata.prior_predictive["y"])  # (draws, periods)
    media = _draws(idata.prior["channel_contribution"])  # (draws, periods, channels)
    tail = (1 - prob) / 2
    n = data.n_train
    low, mid, high = np.quantile(y, [tail, 0.5, 1 - tail], axis=0)
    observed = data.y[:n]
    outside = (observed < low) | (observed > high)
    target = pd.DataFrame(
        {
            "date": data.dates[:n].strftime("%Y-%m-%d"),
            "observed": observed,
            "low": low,
            "median": mid,
            "high": high,
            "outside": outside,
        }
    )
    summary = channel_summary(cfg, data, media, tail)
    summary = pd.concat(
        [
            pd.DataFrame(
                [
                    {
                        "quantity": "target per period",
                        "channel": "",
                        "low": float(np.quantile(y, tail)),
                        "median": float(np.median(y)),
                        "high": float(np.quantile(y, 1 - tail)),
                    }
                ]
            ),
            summary,
        ],
        ignore_index=True,
    )
    share_outside = float(outside.mean())
    flag = share_outside > OUTSIDE_LIMIT

    run = RunFolder(runs_folder(cfg, out), prefix="prior-")
    try:
        (run.path / "plots").mkdir()
        write_csv(run.path / "prior_predictive.csv", summary)
        write_csv(run.path / "prior_predictive_target.csv", target)
        prior_predictive_plot(cfg, target, prob, run.path / "plots" / "prior_predictive.png")
        result = {
            "command": "prior",
            "status": "ok",
            "run_dir": str(run.final),
            "draws": draws,
            "observed_outside_share": share_outside,
            "flagged": flag,
            "summary": summary.to_dict(orient="records"),
        }
        write_json(run.path / "prior.json", result)
        run.commit(passed=False)
    except BaseException:
        run.discard()
        raise
    return result


def channel_summary(cfg: Config, data, media: np.ndarray, tail: float) -> pd.DataFrame:
    """Per channel: total contribution, share of media and ROAS/CPA implied by the priors."""
    n = data.n_train
    totals = media[:, :n, :].sum(axis=1)  # (draws, channels)
    all_media = totals.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(all_media != 0, totals / all_media, np.nan)
    rows = []
    for j, name in enumerate(data.channels):
        spend = float(data.spend[:n, j].sum())
        per_spend = totals[:, j] / spend
        metric, values = (
            ("roas", per_spend)
            if cfg.target.kind == "revenue"
            else (
                "cpa",
                np.divide(1.0, per_spend, out=np.full_like(per_spend, np.inf), where=per_spend > 0),
            )
        )
        for quantity, v in (
            ("contribution", totals[:, j]),
            ("share", shares[:, j]),
            (metric, values),
        ):
            lo, med, hi = np.nanquantile(v, [tail, 0.5, 1 - tail])
            rows.append(
                {
                    "quantity": quantity,
                    "channel": name,
                    "low": float(lo),
                    "median": float(med),
                    "high": float(hi),
                }
            )
    return pd.DataFrame(rows)


def _draws(da) -> np.ndarray:
    return np.asarray(da.stack(sample=("chain", "draw")).transpose("sample", ...).values)
