"""Response curves and marginal returns over the fitted window, written with every fit.

A channel's response curve is its response (``decisions.response``) when its observed spend
over the fitted periods is scaled by a multiplier from 0 to 2, carry-over out of the window
included; the other channels do not enter (the model is additive in its channels). Its marginal
ROAS (revenue) or CPA (conversions) at current spend is the extra response of 1% more spend,
spread like the observed spend, per unit of that extra spend (or the extra spend per extra
conversion), for every draw: the return of the *next* unit of spend, which falls below the
average ROAS as the channel saturates.

The curves (41 multipliers) are drawn from at most ``CURVE_DRAWS`` posterior draws, evenly
spaced over the chains: a curve's mean and HDI from 1,000 draws differ from all 4,000 by a small
fraction of the HDI's width, and the 41 evaluations over every draw were the slowest step
after sampling. Marginal returns (two evaluations) and the allocator use every draw.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .allocate import MARGINAL_STEP, marginal_summary
from .intervals import credible
from .response import ResponseModel, Scenario, fitted_window

MULTIPLIERS = np.round(np.linspace(0.0, 2.0, 41), 10)
CURVE_DRAWS = 1000  # the most posterior draws a response curve is computed from


def response_curves(model: ResponseModel, prob: float) -> pd.DataFrame:
    """``channel, multiplier, spend, response_mean, response_hdi_low, response_hdi_high``."""
    totals = model.spend[: model.n_fit].sum(axis=0)
    thinned = model.thin(CURVE_DRAWS)
    draws = _by_chunk(thinned, lambda scen: [scen.response(m * totals) for m in MULTIPLIERS])
    parts = []
    for m, values in zip(MULTIPLIERS, draws, strict=True):  # values: (D, C)
        mean, low, high = credible(values, prob)
        parts.append(
            pd.DataFrame(
                {
                    "channel": model.channels,
                    "multiplier": m,
                    "spend": m * totals,
                    "response_mean": mean,
                    "response_hdi_low": low,
                    "response_hdi_high": high,
                }
            )
        )
    table = pd.concat(parts, ignore_index=True)
    order = {c: i for i, c in enumerate(model.channels)}
    return table.sort_values(
        ["channel", "multiplier"], key=lambda s: s.map(order) if s.name == "channel" else s
    ).reset_index(drop=True)


def marginal_returns(model: ResponseModel, prob: float) -> pd.DataFrame:
    """``channel, mroas_*`` or ``channel, mcpa_*`` at the observed spend of the fitted window."""
    totals = model.spend[: model.n_fit].sum(axis=0)
    (extra,) = _by_chunk(model, lambda scenario: [scenario.marginal(totals, MARGINAL_STEP)[0]])
    spent = MARGINAL_STEP * totals
    rows = []
    for j, channel in enumerate(model.channels):
        rows.append(
            {"channel": channel, **marginal_summary(model.kind, extra[:, j], spent[j], prob)}
        )
    return pd.DataFrame(rows)


def _by_chunk(
    model: ResponseModel, compute: Callable[[Scenario], list[np.ndarray]]
) -> list[np.ndarray]:
    """``compute`` on the fitted window, a group of draws at a time (memory stays bounded on
    long series), its per-draw arrays joined back together."""
    pieces: list[list[np.ndarray]] = []
    for part in model.draw_chunks():
        scenario, _ = fitted_window(part)
        pieces.append(compute(scenario))
    return [np.concatenate(column, axis=0) for column in zip(*pieces, strict=True)]
