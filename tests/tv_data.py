"""A weekly dataset where one channel's effectiveness rises smoothly to three times its start.

Plain numpy (not mmmcli): channels a, b, c with geometric adstock and no saturation; a's
coefficient follows a logistic ramp from 0.02 to 0.06 conversions per dollar; b and c stay
constant. Returns the true weekly contributions for the coverage check.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tests.synthetic import write_config

WEEKS = 104


def adstock(x: np.ndarray, alpha: float, max_lag: int) -> np.ndarray:
    w = alpha ** np.arange(max_lag + 1)
    w = w / w.sum()
    return np.convolve(x, w)[: len(x)]


def rising_channel(folder: Path, seed: int = 3) -> dict:
    rng = np.random.default_rng(seed)
    t = np.arange(WEEKS)
    spend = {
        "a": rng.gamma(3.0, 1000.0, WEEKS),
        "b": rng.gamma(3.0, 800.0, WEEKS),
        "c": rng.gamma(3.0, 600.0, WEEKS),
    }
    ramp = 1 / (1 + np.exp(-(t - 52) / 10))
    coef = {"a": 0.02 * (1 + 2 * ramp), "b": np.full(WEEKS, 0.03), "c": np.full(WEEKS, 0.025)}
    contrib = {k: coef[k] * adstock(spend[k], 0.4, 4) for k in spend}
    y = 400 + sum(contrib.values()) + rng.normal(0, 15, WEEKS)
    dates = pd.date_range("2024-01-01", periods=WEEKS, freq="W-MON")
    frame = pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "y": y, **spend})
    frame.to_csv(folder / "data.csv", index=False)

    def config(name: str, varying: bool) -> Path:
        channels = {}
        for k in spend:
            ch = {
                "spend": k,
                "adstock": {"type": "geometric", "max_lag": 4},
                "coefficient": {"dist": "HalfNormal", "sigma": 0.1},
            }
            if varying and k == "a":
                ch["coefficient"]["time_varying"] = {"type": "grw"}
            channels[k] = ch
        return write_config(folder, name, channels, {"seed": 5})

    return {
        "weekly": contrib,
        "coef": coef,
        "plain": config("constant", False),
        "varying": config("varying", True),
    }
