"""Synthetic datasets with known truth, generated with numpy and ``mmmsim`` (not mmmcli).

Each function writes ``data.csv`` (and experiment files) into a folder and returns the truth and
the configs to fit. Adstock and saturation are ``mmmsim.transforms``, the independent numpy
definitions of the transforms the tool documents.

- ``rising_channel``: channel a's effectiveness rises smoothly to three times its start
  (time-varying coefficients).
- ``uplift_twins``, ``lift_twins``: two channels whose spends are collinear (correlation > 0.95)
  with different true effects, so the MMM alone cannot tell them apart; experiments on one of
  them break the tie (calibration).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mmmsim.transforms import adstock, geometric_weights, logistic
from tests.helpers import synthetic_config

WEEKS = 104
START = "2024-01-01"  # a Monday


def _dates() -> pd.DatetimeIndex:
    return pd.date_range(START, periods=WEEKS, freq="W-MON")


# ---------------------------------------------------------------- time-varying coefficients


def rising_channel(folder: Path, seed: int = 3) -> dict:
    """Channels a, b, c with geometric adstock and no saturation.

    a's coefficient follows a logistic ramp from 0.02 to 0.06 conversions per dollar; b and c
    stay constant. Returns the true weekly contributions for the coverage check, and the
    ``plain`` (constant) and ``varying`` (a on a random walk) configs.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(WEEKS)
    spend = {
        "a": rng.gamma(3.0, 1000.0, WEEKS),
        "b": rng.gamma(3.0, 800.0, WEEKS),
        "c": rng.gamma(3.0, 600.0, WEEKS),
    }
    ramp = 1 / (1 + np.exp(-(t - 52) / 10))
    coef = {"a": 0.02 * (1 + 2 * ramp), "b": np.full(WEEKS, 0.03), "c": np.full(WEEKS, 0.025)}
    weights = geometric_weights(0.4, 4)
    contrib = {k: coef[k] * adstock(spend[k], weights) for k in spend}
    y = 400 + sum(contrib.values()) + rng.normal(0, 15, WEEKS)
    frame = pd.DataFrame({"date": _dates().strftime("%Y-%m-%d"), "y": y, **spend})
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
        return synthetic_config(folder, name, channels, {"seed": 5})

    return {
        "weekly": contrib,
        "coef": coef,
        "plain": config("constant", False),
        "varying": config("varying", True),
    }


# ---------------------------------------------------------------- calibration


def _twin_spend(rng) -> tuple[np.ndarray, np.ndarray]:
    base = rng.gamma(1.5, 667.0, WEEKS)  # ~1000 a week, varied
    a = base * rng.uniform(0.99, 1.01, WEEKS)
    b = 0.8 * base * rng.uniform(0.99, 1.01, WEEKS)
    assert np.corrcoef(a, b)[0, 1] > 0.95
    return a, b


def _twins_config(folder: Path, name: str, channels: dict, calibration: list | None) -> Path:
    return synthetic_config(
        folder,
        name,
        channels,
        {"chains": 4, "draws": 500, "tune": 700, "seed": 11},
        checks={"min_ess_bulk": 200},
        calibration=calibration,
    )


def uplift_twins(folder: Path, seed: int = 1) -> dict:
    """Linear twins (no adstock, no saturation), a per-period uplift readout for `a` (15 weeks)."""
    rng = np.random.default_rng(seed)
    a, b = _twin_spend(rng)
    coef = {"a": 0.08, "b": 0.03}
    contrib = {"a": coef["a"] * a, "b": coef["b"] * b}
    y = 300 + contrib["a"] + contrib["b"] + rng.normal(0, 15, WEEKS)
    dates = _dates()
    pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "y": y, "a": a, "b": b}).to_csv(
        folder / "data.csv", index=False
    )
    weeks = np.arange(40, 55)
    sigma = 0.05 * contrib["a"][weeks]
    uplift = contrib["a"][weeks] + rng.normal(0, sigma)
    pd.DataFrame(
        {"date": dates[weeks].strftime("%Y-%m-%d"), "uplift": uplift, "sigma": sigma}
    ).to_csv(folder / "uplift_a.csv", index=False)
    channels = {
        "a": {"spend": "a", "coefficient": {"dist": "HalfNormal", "sigma": 0.5}},
        "b": {"spend": "b", "coefficient": {"dist": "HalfNormal", "sigma": 0.5}},
    }
    calib = [{"channel": "a", "path": "uplift_a.csv", "method": "likelihood"}]
    return {
        "truth": {k: float(v.sum()) for k, v in contrib.items()},
        "coef": coef,
        "plain": _twins_config(folder, "plain", channels, None),
        "calibrated": _twins_config(folder, "calibrated", channels, calib),
        "fixed": _twins_config(folder, "fixed", channels, [{**calib[0], "method": "fixed"}]),
    }


# Experiments on `a`: (first week, weeks, spend change relative to the window's spend). Cuts
# and heavy-ups at several levels: a single small test only pins the curve's local slope.
LIFT_TESTS = [(6, 4, -0.3), (22, 4, 0.3), (38, 4, 0.6), (54, 4, -0.3), (70, 4, 0.3), (86, 4, 0.6)]


def lift_twins(folder: Path, seed: int = 2, tests=LIFT_TESTS, rel_sigma: float = 0.05) -> dict:
    """Twins with geometric adstock and logistic saturation; lift tests on `a`.

    The tests change `a`'s spend in their windows (so the data include them) while keeping the
    twins' spends collinear; at several spend levels they reveal the curve's shape.
    """
    rng = np.random.default_rng(seed)
    a, b = _twin_spend(rng)
    alpha, lam, max_lag = 0.5, 1.0, 4
    beta = {"a": 300.0, "b": 120.0}
    weights = geometric_weights(alpha, max_lag)
    a_obs = a.copy()
    deltas = []
    for start, length, rel in tests:
        # a report gives the total change; the tool shares extra spend in proportion to the
        # observed spend and a cut evenly by day, so generate them that way
        window = a[start : start + length]
        delta = rel * window if rel > 0 else np.full(length, rel * window.min())
        a_obs[start : start + length] += delta
        deltas.append(delta)
    assert (a_obs >= 0).all()
    corr = float(np.corrcoef(a_obs, b)[0, 1])
    scale = {"a": a_obs[a_obs > 0].mean(), "b": b[b > 0].mean()}

    def contribution(name, spend):
        return beta[name] * logistic(adstock(spend / scale[name], weights), lam)

    contrib = {"a": contribution("a", a_obs), "b": contribution("b", b)}
    y = 500 + contrib["a"] + contrib["b"] + rng.normal(0, 15, WEEKS)
    dates = _dates()
    pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "y": y, "a": a_obs, "b": b}).to_csv(
        folder / "data.csv", index=False
    )
    rows = []
    for (start, length, _), delta in zip(tests, deltas, strict=True):
        counterfactual = a_obs.copy()
        counterfactual[start : start + length] -= delta
        diff = contrib["a"] - contribution("a", counterfactual)
        true_lift = diff[start : start + length + max_lag].sum()
        sigma = rel_sigma * abs(true_lift)
        rows.append(
            {
                "channel": "a",
                "start": str(dates[start].date()),
                "end": str((dates[start + length - 1] + pd.Timedelta(days=6)).date()),
                "spend_delta": float(delta.sum()),
                "uplift": true_lift + rng.normal(0, sigma),
                "sigma": sigma,
                "true_lift": true_lift,
            }
        )
    pd.DataFrame(rows).drop(columns="true_lift").to_csv(folder / "lift_tests.csv", index=False)
    transform = {
        "adstock": {"type": "geometric", "max_lag": max_lag},
        "saturation": {"type": "logistic"},
    }
    channels = {"a": {"spend": "a", **transform}, "b": {"spend": "b", **transform}}
    return {
        "truth": {k: float(v.sum()) for k, v in contrib.items()},
        "lifts": [r["true_lift"] for r in rows],
        "correlation": corr,
        "plain": _twins_config(folder, "plain", channels, None),
        "calibrated": _twins_config(folder, "calibrated", channels, [{"path": "lift_tests.csv"}]),
    }


def tiny_project(seed: int = 0) -> dict[str, str | dict]:
    """A small valid project as file contents, for the adversarial suite to mutate.

    30 weeks, two channels (one with geometric adstock and hill saturation), a price control,
    a per-period uplift file and a lift-test file; ``config`` is the config as a dict, every
    path relative to the project folder.
    """
    rng = np.random.default_rng(seed)
    n = 30
    dates = pd.date_range("2024-01-01", periods=n, freq="W-MON")
    a, b = rng.gamma(2.0, 100.0, n), rng.gamma(2.0, 50.0, n)
    y = 100 + 0.05 * adstock(a, geometric_weights(0.4, 2)) + 0.08 * b + rng.normal(0, 3, n)
    frame = pd.DataFrame(
        {
            "date": dates.strftime("%Y-%m-%d"),
            "y": np.round(y, 2),
            "a_spend": np.round(a, 2),
            "b_spend": np.round(b, 2),
            "price": np.round(1 + rng.normal(0, 0.05, n), 3),
        }
    )
    uplift = pd.DataFrame(
        {"date": dates[10:14].strftime("%Y-%m-%d"), "uplift": [9.0, 11.0, 8.5, 10.0], "sigma": 2.0}
    )
    lift = pd.DataFrame(
        [
            {
                "channel": "b",
                "start": str(dates[20].date()),
                "end": str((dates[21] + pd.Timedelta(days=6)).date()),
                "spend_delta": round(float(0.2 * b[20:22].sum()), 2),
                "uplift": 3.0,
                "sigma": 1.5,
            }
        ]
    )
    config = {
        "name": "tiny",
        "data": {"path": "data.csv", "date_column": "date"},
        "target": {"column": "y", "kind": "revenue"},
        "channels": {
            "a": {
                "spend": "a_spend",
                "adstock": {"type": "geometric", "max_lag": 2},
                "saturation": {"type": "hill"},
            },
            "b": {"spend": "b_spend", "coefficient": {"dist": "HalfNormal", "sigma": 1.0}},
        },
        "controls": {"price": {"column": "price"}},
        "seasonality": {"yearly_fourier_order": 1},
        "trend": "linear",
        "calibration": [
            {"channel": "a", "path": "uplift.csv"},
            {"path": "lift.csv"},
        ],
        "sampler": {"chains": 2, "draws": 50, "tune": 50, "seed": 1},
        "output": {"dir": "runs"},
    }
    return {
        "config": config,
        "data.csv": frame.to_csv(index=False),
        "uplift.csv": uplift.to_csv(index=False),
        "lift.csv": lift.to_csv(index=False),
    }
