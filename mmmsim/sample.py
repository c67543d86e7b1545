"""Generate the synthetic weekly marketing-mix data set with known ground truth.

This script is an independent implementation of the data-generating process (it does not
import ``mmmcli``); the tests use its output to check that the model recovers the truth.

Usage, from the repository's root (``make data``)::

    python -m mmmsim.sample [--out-dir DIR] [--weeks N] [--seed S]

It writes ``weekly.csv``, ``weekly_truth.json``, ``uplift_tv.csv`` and ``lift_tests.csv`` into
``DIR`` (default: ``mmmcli/samples/``, the package's bundled sample data).
All randomness comes from ``numpy.random.default_rng(seed)``, so output is deterministic.

Process, for weeks t = 0..N-1 (Mondays from 2023-01-02):

* Spend (dollars, >= 0, rounded to cents) for four channels:
  tv is flighted (3-6 weeks on at ~20000, 2-5 weeks off at 0), radio is always on (~5000
  in 6-10 week bursts of varying level, ~15% noise), social grows linearly from ~2000 to
  ~8000 (with noise), search is seasonal
  (~6000 * (1 + 0.4 sin(2 pi tau + phi)), phase phi chosen a quarter year away from the
  target's main yearly wave).
* Geometric adstock, max lag L = 8: w_l = alpha^l / sum_{j=0..L} alpha^j for l = 0..L and
  adstock[t] = sum_l w_l * spend[t - l], with spend before week 0 taken as 0.
* Scaling: x = adstock / scale, where scale = mean of the channel's non-zero spend.
* Logistic saturation: s(x) = (1 - exp(-lam x)) / (1 + exp(-lam x)).
* Channel contribution: beta * s(x), beta being the weekly ceiling in target units.
* Baseline: intercept + trend_slope * t
  + sum_k (a_k sin(2 pi k tau) + b_k cos(2 pi k tau)) for k = 1, 2,
  with tau = (date - 1970-01-01).days / 365.25 and features ordered [sin1, cos1, sin2, cos2].
* Control: price ~ 1.0 (AR(1) walk, sd ~0.05, clipped to [0.85, 1.15], rounded to 4
  decimals), contribution = price_coef * price.
* conversions = baseline + control + sum of channel contributions + Normal(0, sigma),
  rounded to 2 decimals.

Every component is computed from the rounded spend and price columns that are written to
the CSV, so the truth file describes exactly the data on disk.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from . import transforms

START = "2023-01-02"
MAX_LAG = 8
CHANNELS = ("tv", "radio", "social", "search")
TRUE_PARAMS: dict = {
    "intercept": 1350.0,
    "trend_slope": 0.8,
    "seasonality": [60.0, -25.0, 15.0, 10.0],
    "price_coef": -400.0,
    "sigma": 30.0,
    "channels": {
        "tv": {"alpha": 0.6, "lam": 1.2, "beta": 350.0},
        "radio": {"alpha": 0.3, "lam": 2.0, "beta": 120.0},
        "social": {"alpha": 0.2, "lam": 1.5, "beta": 220.0},
        "search": {"alpha": 0.1, "lam": 2.5, "beta": 260.0},
    },
}
FORMULAS = {
    "adstock": (
        "w_l = alpha**l / sum_{j=0..L} alpha**j, l = 0..L (L = max_lag); "
        "adstock[t] = sum_l w_l * spend[t-l], spend before week 0 = 0"
    ),
    "scaling": "x = adstock / spend_scale, spend_scale = mean of non-zero spend",
    "saturation": "s(x) = (1 - exp(-lam*x)) / (1 + exp(-lam*x))",
    "contribution": "beta * s(x)",
    "seasonality": (
        "tau = (date - 1970-01-01).days / 365.25; "
        "features [sin(2 pi tau), cos(2 pi tau), sin(4 pi tau), cos(4 pi tau)]"
    ),
    "price": "price_coef * price",
    "conversions": (
        "intercept + trend_slope * t + seasonality + price + sum(contributions) + Normal(0, sigma)"
    ),
}


def sig(value: float, digits: int = 6) -> float:
    """Round a float to ``digits`` significant digits."""
    return float(f"{value:.{digits}g}")


def sig_list(values: np.ndarray) -> list[float]:
    """Round every element of an array to 6 significant digits."""
    return [sig(float(v)) for v in values]


def make_dates(weeks: int) -> pd.DatetimeIndex:
    """Weekly Monday dates starting at ``START``."""
    return pd.date_range(START, periods=weeks, freq="7D")


def noisy(rng: np.random.Generator, level: np.ndarray, rel_sd: float) -> np.ndarray:
    """Multiply ``level`` by (1 + rel_sd * N(0, 1)), clipped at zero."""
    return np.clip(level * (1.0 + rel_sd * rng.standard_normal(level.shape)), 0.0, None)


def tv_spend(rng: np.random.Generator, weeks: int) -> np.ndarray:
    """Flighted spend: bursts of 3-6 weeks at ~20000 separated by 2-5 weeks of zero."""
    on = np.zeros(weeks, dtype=bool)
    t = int(rng.integers(0, 3))
    while t < weeks:
        burst = int(rng.integers(3, 7))
        on[t : t + burst] = True
        t += burst + int(rng.integers(2, 6))
    return np.where(on, noisy(rng, np.full(weeks, 20000.0), 0.12), 0.0)


def radio_spend(rng: np.random.Generator, weeks: int) -> np.ndarray:
    """Always on around 5000, in 6-10 week bursts at 0.3x-1.7x the level, with ~15% noise.

    Perfectly steady spend would be indistinguishable from the intercept; the level changes
    give the model something to learn from, as real campaign pacing does.
    """
    level = np.empty(weeks)
    week = 0
    while week < weeks:
        length = int(rng.integers(6, 11))
        level[week : week + length] = rng.uniform(0.3, 1.7)
        week += length
    return noisy(rng, 5000.0 * level, 0.15)


def social_spend(rng: np.random.Generator, weeks: int) -> np.ndarray:
    """Spend growing linearly from ~2000 to ~8000 with ~15% noise."""
    return noisy(rng, np.linspace(2000.0, 8000.0, weeks), 0.15)


def search_spend(rng: np.random.Generator, tau: np.ndarray) -> np.ndarray:
    """Seasonal spend ~6000 * (1 + 0.4 sin), a quarter year out of phase with the target.

    The yearly wave alone is collinear with the Fourier seasonality terms; the ~35% week-to-week
    variation (bid and budget changes) is what identifies the channel.
    """
    a, b = TRUE_PARAMS["seasonality"][:2]
    target_phase = np.arctan2(b, a)  # a sin + b cos = r sin(theta + target_phase)
    level = 6000.0 * (1.0 + 0.4 * np.sin(2 * np.pi * tau + target_phase + np.pi / 2))
    return noisy(rng, level, 0.35)


def make_spend(rng: np.random.Generator, weeks: int, tau: np.ndarray) -> dict[str, np.ndarray]:
    """Spend for every channel, rounded to cents."""
    raw = {
        "tv": tv_spend(rng, weeks),
        "radio": radio_spend(rng, weeks),
        "social": social_spend(rng, weeks),
        "search": search_spend(rng, tau),
    }
    return {name: np.round(values, 2) for name, values in raw.items()}


def make_price(rng: np.random.Generator, weeks: int) -> np.ndarray:
    """AR(1) price around 1.0 (stationary sd 0.05), clipped to [0.85, 1.15]."""
    phi, sd = 0.9, 0.05
    shocks = rng.normal(0.0, sd * np.sqrt(1 - phi**2), weeks)
    price = np.empty(weeks)
    level = rng.normal(0.0, sd)
    for t in range(weeks):
        level = phi * level + shocks[t]
        price[t] = level
    return np.round(np.clip(1.0 + price, 0.85, 1.15), 4)


def contribution(spend: np.ndarray, alpha: float, lam: float, beta: float) -> np.ndarray:
    """Weekly contribution beta * s(adstock(spend) / scale)."""
    weights = transforms.geometric_weights(alpha, MAX_LAG)
    x = transforms.adstock(spend, weights) / transforms.spend_scale(spend)
    return beta * transforms.logistic(x, lam)


def simulate(weeks: int, seed: int) -> tuple[pd.DataFrame, dict]:
    """Draw one data set and return it with its ground truth."""
    rng = np.random.default_rng(seed)
    dates = make_dates(weeks)
    tau = transforms.year_phase(dates)
    spend = make_spend(rng, weeks, tau)
    price = make_price(rng, weeks)
    contribs = {
        name: contribution(spend[name], **TRUE_PARAMS["channels"][name]) for name in CHANNELS
    }
    components = {
        "trend": TRUE_PARAMS["trend_slope"] * np.arange(weeks),
        "seasonality": transforms.fourier(tau, 2) @ np.array(TRUE_PARAMS["seasonality"]),
        "price": TRUE_PARAMS["price_coef"] * price,
    }
    noise = rng.normal(0.0, TRUE_PARAMS["sigma"], weeks)
    mean = TRUE_PARAMS["intercept"] + sum(components.values()) + sum(contribs.values())
    frame = pd.DataFrame(
        {"date": dates.strftime("%Y-%m-%d"), "conversions": np.round(mean + noise, 2)}
    )
    for name in CHANNELS:
        frame[f"{name}_spend"] = spend[name]
    frame["price"] = price
    truth = build_truth(weeks, seed, spend, contribs, components)
    return frame, truth


def build_truth(
    weeks: int,
    seed: int,
    spend: dict[str, np.ndarray],
    contribs: dict[str, np.ndarray],
    components: dict[str, np.ndarray],
) -> dict:
    """Assemble the JSON-serialisable ground-truth record."""
    channels = {
        name: {
            **TRUE_PARAMS["channels"][name],
            "spend_scale": sig(transforms.spend_scale(spend[name])),
        }
        for name in CHANNELS
    }
    contributions = {}
    for name in CHANNELS:
        weekly = sig_list(contribs[name])
        contributions[name] = {"total": round(sum(weekly), 3), "weekly": weekly}
    return {
        "seed": seed,
        "weeks": weeks,
        "start": START,
        "max_lag": MAX_LAG,
        "params": {**TRUE_PARAMS, "channels": channels},
        "contributions": contributions,
        "components_weekly": {key: sig_list(val) for key, val in components.items()},
        "formulas": FORMULAS,
    }


def make_experiments(frame: pd.DataFrame, truth: dict, seed: int):
    """Experiment results consistent with the data: a tv uplift readout and search lift tests.

    * ``uplift_tv.csv``: tv's whole weekly contribution on 15 weeks (weeks 60-74), measured
      with an 8% standard error (``date, uplift, sigma``).
    * ``lift_tests.csv``: three 4-week search heavy-ups (weeks 20, 70, 120) of 30% over the
      planned spend; the extra spend is part of the observed spend (so it is 0.3/1.3 of each
      week's observed spend, i.e. proportional to it); the lift is
      ``y(observed) - y(observed - the extra spend)``, summed from the window's start to its
      end plus max_lag weeks, measured with a 10% standard error.

    A separate random stream keeps ``weekly.csv`` unchanged.
    """
    rng = np.random.default_rng(seed + 1)
    dates = pd.to_datetime(frame["date"])
    weeks = np.arange(60, 75)
    tv = np.asarray(truth["contributions"]["tv"]["weekly"])[weeks]
    sigma = 0.08 * tv
    uplift = pd.DataFrame(
        {
            "date": dates[weeks].dt.strftime("%Y-%m-%d"),
            "uplift": np.round(tv + rng.normal(0.0, sigma), 3),
            "sigma": np.round(sigma, 3),
        }
    )
    spend = frame["search_spend"].to_numpy()
    params = TRUE_PARAMS["channels"]["search"]
    scale = transforms.spend_scale(spend)
    weights = transforms.geometric_weights(params["alpha"], MAX_LAG)

    def response(s):
        return params["beta"] * transforms.logistic(
            transforms.adstock(s, weights) / scale, params["lam"]
        )

    rows = []
    for start in (20, 70, 120):
        window = slice(start, start + 4)
        extra = spend[window] * 0.3 / 1.3  # 30% heavy-up: part of the observed spend
        delta = extra.sum()
        counterfactual = spend.copy()
        counterfactual[window] -= extra
        lift = (response(spend) - response(counterfactual))[start : start + 4 + MAX_LAG].sum()
        se = 0.1 * lift
        rows.append(
            {
                "channel": "search",
                "start": dates[start].strftime("%Y-%m-%d"),
                "end": (dates[start + 3] + pd.Timedelta(days=6)).strftime("%Y-%m-%d"),
                "spend_delta": round(delta, 2),
                "uplift": round(lift + rng.normal(0.0, se), 3),
                "sigma": round(se, 3),
                "true_lift": round(lift, 3),
            }
        )
    return uplift, pd.DataFrame(rows)


def print_checks(frame: pd.DataFrame, truth: dict) -> None:
    """Print media shares, spend correlations and summary statistics of the target."""
    total = frame["conversions"].sum()
    media = 0.0
    for name in CHANNELS:
        share = truth["contributions"][name]["total"] / total
        media += share
        print(
            f"{name:>7}: total contribution {truth['contributions'][name]['total']:>10.1f}"
            f"  share {share:6.1%}"
        )
    print(f"  media share of conversions: {media:.1%}")
    print("spend correlations:")
    print(frame[[f"{c}_spend" for c in CHANNELS]].corr().round(3).to_string())
    y = frame["conversions"]
    print(f"conversions mean {y.mean():.1f}  sd {y.std():.1f}  min {y.min():.1f}")


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[1] / "mmmcli" / "samples"
    parser.add_argument("--out-dir", type=Path, default=default)
    parser.add_argument("--weeks", type=int, default=156)
    parser.add_argument("--seed", type=int, default=20261127)
    return parser.parse_args()


def main() -> None:
    """Simulate; write the data, its truth and experiment files; print sanity checks."""
    args = parse_args()
    frame, truth = simulate(args.weeks, args.seed)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out_dir / "weekly.csv", index=False)
    uplift, lifts = make_experiments(frame, truth, args.seed)
    uplift.to_csv(args.out_dir / "uplift_tv.csv", index=False)
    lifts.drop(columns="true_lift").to_csv(args.out_dir / "lift_tests.csv", index=False)
    truth["experiments"] = {"lift_tests_true_lift": lifts["true_lift"].tolist()}
    with open(args.out_dir / "weekly_truth.json", "w") as fh:
        json.dump(truth, fh, indent=2)
        fh.write("\n")
    print_checks(frame, truth)


if __name__ == "__main__":
    main()
