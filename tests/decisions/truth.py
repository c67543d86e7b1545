"""The sample data's true response model, and its true response computed independently.

``true_model`` puts the generator's parameters (``weekly_truth.json``) into a one-draw
``ResponseModel``; ``true_response`` recomputes a plan's response from scratch with ``mmmsim``'s
numpy transforms (simulate the spend series with and without the plan), so tests compare the
tool's vectorised engine with an implementation that shares nothing with it.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from mmmcli.decisions.response import ResponseModel
from mmmsim import transforms as T
from tests.helpers import SAMPLE

TRUTH = json.loads((SAMPLE / "weekly_truth.json").read_text())
PARAMS = TRUTH["params"]["channels"]
LAG = TRUTH["max_lag"]
DATA = pd.read_csv(SAMPLE / "weekly.csv")


def true_model(channels: list[str], spend: np.ndarray | None = None) -> ResponseModel:
    """The true parameters as a one-draw response model (``spend``: the observed history)."""
    observed = DATA[[f"{c}_spend" for c in channels]].to_numpy() if spend is None else spend
    return ResponseModel(
        channels=list(channels),
        kind="conversions",
        saturation=["logistic"] * len(channels),
        weights=np.stack([T.geometric_weights(PARAMS[c]["alpha"], LAG) for c in channels])[None],
        params={"lam": np.array([[PARAMS[c]["lam"] for c in channels]])},
        coef=np.array([[PARAMS[c]["beta"] for c in channels]]),
        scale=np.array([PARAMS[c]["spend_scale"] for c in channels]),
        spend=observed,
        dates=list(DATA["date"])[-len(observed) :],
        n_fit=len(observed),
    )


def true_response(
    channels: list[str], budgets: np.ndarray, periods: int, spend: np.ndarray | None = None
) -> float:
    """Total response of spending ``budgets`` evenly over ``periods`` after the history."""
    observed = DATA[[f"{c}_spend" for c in channels]].to_numpy() if spend is None else spend
    total = 0.0
    for j, c in enumerate(channels):
        history = observed[:, j]
        with_plan = np.concatenate([history, np.full(periods, budgets[j] / periods), np.zeros(LAG)])
        without = np.concatenate([history, np.zeros(periods + LAG)])

        total += float((_level(c, with_plan) - _level(c, without))[len(history) :].sum())
    return total


def true_fitted_response(channel: str, multiplier: float, n_fit: int) -> float:
    """A channel's true response over the fitted window to its spend scaled by ``multiplier``,
    carry-over after the window included."""
    s = np.concatenate([multiplier * DATA[f"{channel}_spend"].to_numpy()[:n_fit], np.zeros(LAG)])
    return float(_level(channel, s).sum())


def _level(channel: str, spend: np.ndarray) -> np.ndarray:
    """The channel's true contribution per period to a spend series."""
    p = PARAMS[channel]
    w = T.geometric_weights(p["alpha"], LAG)
    return p["beta"] * T.logistic(T.adstock(spend, w) / p["spend_scale"], p["lam"])
