"""The benchmark's standard dataset, generated deterministically (plain numpy).

156 weeks; channels tv (flighted), radio (steady), social (growing), search (seasonal);
geometric adstock (lags 0..7, i.e. pymc-marketing's l_max=8) and logistic saturation on spend
divided by its mean non-zero value; intercept, linear trend, yearly Fourier order 2, Gaussian
noise. ``python -m mmmsim.bench OUT_DIR [--weeks N] [--channels N]`` writes ``bench.csv``,
``truth.json`` and ``bench.yaml`` (an mmm config matching pymc-marketing's model).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from . import transforms

PATTERNS = ("flighted", "steady", "growing", "seasonal")
BASE_NAMES = ("tv", "radio", "social", "search")
L_MAX = 8  # weights for lags 0..7


def spend(pattern: str, rng, weeks: int, tau: np.ndarray) -> np.ndarray:
    t = np.arange(weeks)
    if pattern == "flighted":
        on = (t // 5) % 2 == 0
        level = np.where(on, 20000.0, 0.0)
    elif pattern == "steady":
        level = 5000.0 * rng.uniform(0.4, 1.6, weeks // 8 + 1).repeat(8)[:weeks]
    elif pattern == "growing":
        level = np.linspace(2000.0, 8000.0, weeks)
    else:
        level = 6000.0 * (1 + 0.4 * np.sin(2 * np.pi * tau + 1.3))
    return np.round(np.clip(level * (1 + 0.3 * rng.standard_normal(weeks)), 0, None), 2)


def generate(weeks: int = 156, channels: int = 4, seed: int = 2026) -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2023-01-02", periods=weeks, freq="W-MON")
    tau = transforms.year_phase(dates)
    names = [BASE_NAMES[i % 4] + ("" if i < 4 else str(i // 4 + 1)) for i in range(channels)]
    frame = pd.DataFrame({"date": dates.strftime("%Y-%m-%d")})
    y = 1500.0 + 0.8 * np.arange(weeks)
    y = y + transforms.fourier(tau, 2) @ np.array([60.0, -25.0, 15.0, 10.0])
    truth = {"channels": {}}
    for i, name in enumerate(names):
        x = spend(PATTERNS[i % 4], rng, weeks, tau)
        alpha = [0.6, 0.3, 0.2, 0.1][i % 4]
        lam = [1.2, 2.0, 1.5, 2.5][i % 4]
        beta = [350.0, 120.0, 220.0, 260.0][i % 4] / (1 + i // 4)
        weights = transforms.geometric_weights(alpha, L_MAX - 1)
        ad = transforms.adstock(x, weights) / transforms.spend_scale(x)
        contrib = beta * transforms.logistic(ad, lam)
        y = y + contrib
        frame[f"{name}_spend"] = x
        truth["channels"][name] = {
            "alpha": alpha,
            "lam": lam,
            "beta": beta,
            "total": float(contrib.sum()),
        }
    frame["conversions"] = np.round(y + rng.normal(0, 30, weeks), 2)
    frame["t"] = np.arange(weeks, dtype=float)  # the trend, as a control for pymc-marketing
    truth["names"] = names
    return frame, truth


def mmm_config(names: list[str]) -> dict:
    """The same model in mmm's terms (max_lag 7 = pymc-marketing's l_max 8)."""
    return {
        "name": "bench",
        "data": {"path": "bench.csv"},
        "target": {"column": "conversions", "kind": "conversions"},
        "channels": {
            n: {
                "spend": f"{n}_spend",
                "adstock": {"type": "geometric", "max_lag": L_MAX - 1},
                "saturation": {"type": "logistic"},
            }
            for n in names
        },
        "seasonality": {"yearly_fourier_order": 2},
        "trend": "linear",
        "sampler": {"engine": "nutpie", "chains": 4, "draws": 1000, "tune": 1000, "seed": 1},
        "output": {"dir": "runs"},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--weeks", type=int, default=156)
    parser.add_argument("--channels", type=int, default=4)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    frame, truth = generate(args.weeks, args.channels)
    frame.to_csv(args.out / "bench.csv", index=False)
    (args.out / "truth.json").write_text(json.dumps(truth, indent=2))
    (args.out / "bench.yaml").write_text(
        yaml.safe_dump(mmm_config(truth["names"]), sort_keys=False)
    )


if __name__ == "__main__":
    main()
