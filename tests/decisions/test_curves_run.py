"""``response_curves.csv`` against the fit's own ``channels.csv``, as the README relates them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mmmcli.decisions.curves import CURVE_DRAWS
from mmmcli.decisions.response import ResponseModel, Scenario, fitted_window


def test_the_curve_at_today_s_spend_is_the_contribution_plus_its_carry_over(quick_run):
    """README: at multiplier 1 the response is, draw by draw, the channel's contribution over
    the fitted periods (computed by the PyMC model, ``channels.csv``) plus the carry-over of
    that spend after the last fitted period (computed here alone, by zeroing the coefficient
    over the fitted periods); so never below the contribution. The quick run has fewer draws
    than ``CURVE_DRAWS``, so the curve's mean is over the same draws as the contribution's."""
    _, run = quick_run
    model = ResponseModel.load(run / "response.nc")
    assert model.draws <= CURVE_DRAWS
    curves = pd.read_csv(run / "response_curves.csv")
    at_one = curves[curves["multiplier"] == 1].set_index("channel")["response_mean"]
    contribution = pd.read_csv(run / "channels.csv").set_index("channel")["contribution_mean"]
    scenario, totals = fitted_window(model)
    after = np.array(np.broadcast_to(scenario.coef, scenario.unit.shape))
    after[:, : model.n_fit, :] = 0.0
    carry = Scenario(model, scenario.base, scenario.unit, after).response(totals).mean(axis=0)
    assert (carry > 0).all()
    for j, channel in enumerate(model.channels):
        want = contribution[channel] + carry[j]
        assert at_one[channel] == pytest.approx(want, rel=1e-6), channel
        assert at_one[channel] > contribution[channel]
