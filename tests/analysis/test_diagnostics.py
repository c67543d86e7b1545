"""The convergence gate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from mmmcli.analysis.diagnostics import diagnose
from mmmcli.spec.config import Checks


def test_uncomputable_r_hat_fails_the_gate():
    summary = pd.DataFrame({"r_hat": [np.nan], "ess_bulk": [1000.0], "ess_tail": [1000.0]})
    idata = {"sample_stats": xr.Dataset({"diverging": (("chain", "draw"), np.zeros((1, 10)))})}
    diag = diagnose(summary, idata, Checks())
    assert diag["passed"] is False and "r_hat" in diag["failed"]
