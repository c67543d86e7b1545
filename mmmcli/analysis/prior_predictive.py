"""``mmm prior``: what the priors imply before the data are seen (prior predictive check).

Draws parameters from their priors (the likelihood is not touched), simulates the target and
each channel's contribution, and summarises: the target's 94% range per period against the
observed series, and each channel's contribution, share of media and ROAS/CPA. Writing the
prior folder is ``workflows.prior``'s job.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pymc as pm

from ..inputs.data import ModelData
from ..spec import names
from ..spec.config import Config
from . import efficiency

OUTSIDE_LIMIT = 0.2  # flag when the observed target leaves the 94% range on > 20% of periods


@dataclass
class PriorPredictive:
    """What the priors imply: per-quantity ranges and the target's range per period."""

    summary: pd.DataFrame  # quantity, channel, low, median, high
    target: pd.DataFrame  # date, observed, low, median, high, outside
    observed_outside_share: float

    @property
    def flagged(self) -> bool:
        return self.observed_outside_share > OUTSIDE_LIMIT


def prior_predictive(
    cfg: Config, data: ModelData, model: pm.Model, draws: int, seed: int, prob: float = 0.94
) -> PriorPredictive:
    """Sample the prior predictive of ``model`` (the likelihood is not touched) and summarise."""
    with warnings.catch_warnings(), quiet_pymc():
        warnings.simplefilter("ignore")
        idata = pm.sample_prior_predictive(
            draws=draws,
            model=model,
            var_names=[names.OBSERVED, names.CHANNEL_CONTRIBUTION],
            random_seed=seed,
            compile_kwargs={"mode": "FAST_COMPILE"},
        )
    y = _draws(idata.prior_predictive[names.OBSERVED])  # (draws, periods)
    media = _draws(idata.prior[names.CHANNEL_CONTRIBUTION])  # (draws, periods, channels)
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
    return PriorPredictive(summary, target, float(outside.mean()))


@contextmanager
def quiet_pymc() -> Iterator[None]:
    """PyMC's own log lines (``Sampling: [a_alpha, ...]`` on stderr) silenced for the block: a
    command says what it does in its own words, and ``--quiet`` under cron must mean silence.
    The level is restored after, for a notebook that imports the library."""
    logger = logging.getLogger("pymc")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def channel_summary(cfg: Config, data: ModelData, media: np.ndarray, tail: float) -> pd.DataFrame:
    """Per channel: total contribution, share of media and ROAS/CPA implied by the priors."""
    n = data.n_train
    totals = media[:, :n, :].sum(axis=1)  # (draws, channels)
    all_media = totals.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(all_media != 0, totals / all_media, np.nan)
    rows = []
    for j, name in enumerate(data.channels):
        spend = float(data.spend[:n, j].sum())
        kind = cfg.target.kind
        for quantity, v in (
            ("contribution", totals[:, j]),
            ("share", shares[:, j]),
            (efficiency.metric(kind), efficiency.per_draw(kind, totals[:, j], spend)),
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
