"""A stress corpus with known truth: datasets shaped like what teams bring to an MMM.

Each :class:`Case` is a data-generating process: target scale from 1e2 to 1e9, 5 to 20
channels, spends that correlate in pairs (up to r = 0.9), flighted channels with many zero
weeks, small channels (under 2% of spend), a weak media signal (media explain 5-10% of the
target's variance) or a strong one, 52 to 260 weeks or two years of daily data, heavy-tailed
noise, a level shift, and every adstock and saturation family. :func:`write_case` writes:

* ``data.csv``: date, target, one spend column per channel, the controls;
* ``mmm.yaml``: the config a new user would write (every channel geometric adstock and hill
  saturation, the data's controls, yearly Fourier order 2, linear trend, default priors and
  sampler), which is deliberately not the generating process for every case;
* ``truth.json``: per channel the true total contribution over the data, its spend, ROAS
  (revenue) or CPA (conversions), the total media share of the target, and the case's settings.

Plain numpy and pandas, seeded per case; it never imports ``mmmcli``.
``python -m mmmsim.corpus OUT_DIR [--case NAME ...]`` writes ``OUT_DIR/<case>/``.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from . import transforms as tf

ADSTOCKS = ("geometric", "delayed", "weibull", "none")
SATURATIONS = ("logistic", "hill", "michaelis_menten", "none")


@dataclass(frozen=True)
class Case:
    """One data-generating process of the corpus."""

    name: str
    periods: int = 156
    freq: str = "W-MON"
    channels: int = 5
    level: float = 1e5  # the target's baseline level
    kind: str = "revenue"  # revenue -> ROAS; conversions -> CPA
    media_share: float = 0.25  # media's share of the target's total
    weak: bool = False  # media explain 5-10% of the target's variance
    pairs: int = 0  # channel pairs whose spends correlate
    correlation: float = 0.9
    flighted: int = 0  # channels with many zero weeks
    small: int = 0  # channels with under 2% of spend
    heavy_tails: bool = False  # Student-t noise, 3 degrees of freedom
    level_shift: float = 0.0  # a step in the baseline halfway, as a share of the level
    families: bool = False  # cycle through every adstock and saturation family
    seed: int = 0


CASES: tuple[Case, ...] = (
    Case("tiny_target", periods=104, level=1e2, kind="conversions", seed=1),
    Case("huge_target", periods=156, level=1e9, seed=2),
    Case("ten_correlated", channels=10, pairs=2, seed=3),
    Case("twenty_channels", periods=260, channels=20, pairs=2, small=3, seed=4),
    Case("flighted", periods=104, flighted=3, seed=5),
    Case("small_channels", channels=10, small=3, seed=6),
    Case(
        "weak_conversions",
        level=4e8,
        kind="conversions",
        media_share=0.4,
        weak=True,
        seed=7,
    ),
    Case(
        "weak_revenue",
        periods=104,
        channels=10,
        level=2e7,
        media_share=0.11,
        weak=True,
        pairs=2,
        flighted=1,
        small=1,
        seed=8,
    ),
    Case("one_year", periods=52, seed=9),
    Case("daily_two_years", periods=730, freq="D", level=5e3, seed=10),
    Case("heavy_tails", heavy_tails=True, seed=11),
    Case("level_shift", level_shift=0.2, seed=12),
    Case("every_family", periods=208, channels=8, families=True, seed=13),
    Case("strong_signal", media_share=0.4, seed=14),
)


def case(name: str) -> Case:
    for c in CASES:
        if c.name == name:
            return c
    raise KeyError(f"no case {name!r}; cases: {', '.join(c.name for c in CASES)}")


# ---------------------------------------------------------------- spend


def _spends(c: Case, rng: np.random.Generator, days: int) -> np.ndarray:
    """(periods, channels) spend, rounded to cents, with the case's correlations and shapes."""
    n, k = c.periods, c.channels
    tau = np.arange(n) * days / 365.25
    levels = rng.lognormal(np.log(10_000), 0.6, k) * days / 7
    out = np.empty((n, k))
    for j in range(k):
        ar = np.zeros(n)
        for t in range(1, n):
            ar[t] = 0.7 * ar[t - 1] + rng.normal(0, 0.25)
        season = 0.25 * np.sin(2 * np.pi * tau + rng.uniform(0, 2 * np.pi))
        out[:, j] = levels[j] * np.exp(ar + season + rng.normal(0, 0.2, n))
    for p in range(c.pairs):  # channel 2p+1 follows channel 2p
        a, b = 2 * p, 2 * p + 1
        z = np.log(out[:, a])
        z = (z - z.mean()) / z.std()
        rho = c.correlation
        w = rho * z + np.sqrt(1 - rho**2) * rng.normal(0, 1, n)
        out[:, b] = levels[b] * np.exp(0.4 * w)
    unit = 7 if days == 1 else 1  # flights last weeks, whatever the period
    for j in range(k - c.flighted, k):  # the last channels run in flights
        on = np.zeros(n, dtype=bool)
        t = int(rng.integers(0, 4))
        while t < n:
            burst = int(rng.integers(2, 6)) * unit
            on[t : t + burst] = True
            t += burst + int(rng.integers(4, 10)) * unit
        out[:, j] = np.where(on, out[:, j] * 2.5, 0.0)
    if c.small:  # the channels just before the flighted ones are small
        total = out.sum()
        for j in range(k - c.flighted - c.small, k - c.flighted):
            out[:, j] *= 0.01 * total / out[:, j].sum()
    return np.round(out, 2)


# ---------------------------------------------------------------- media


def _families(c: Case, j: int) -> tuple[str, str]:
    if not c.families:
        return "geometric", "hill"
    return ADSTOCKS[j % 4], SATURATIONS[(j // 4 + j) % 4]


def _media(c: Case, rng: np.random.Generator, spend: np.ndarray) -> tuple[np.ndarray, list]:
    """Per-channel responses before their coefficient, in [0, 1) (or spend units), and the true
    transform parameters."""
    n, k = spend.shape
    max_lag = 8
    responses = np.empty((n, k))
    params = []
    for j in range(k):
        ad, sat = _families(c, j)
        if ad == "geometric":
            p_ad = {"alpha": float(rng.uniform(0.1, 0.6))}
            w = tf.geometric_weights(p_ad["alpha"], max_lag)
        elif ad == "delayed":
            p_ad = {"alpha": float(rng.uniform(0.3, 0.7)), "theta": float(rng.uniform(1, 3))}
            w = tf.delayed_weights(p_ad["alpha"], p_ad["theta"], max_lag)
        elif ad == "weibull":
            p_ad = {"shape": float(rng.uniform(1, 2)), "scale": float(rng.uniform(1, 3))}
            w = tf.weibull_weights(p_ad["shape"], p_ad["scale"], max_lag)
        else:
            p_ad, w = {}, np.array([1.0])
        x = spend[:, j]
        scale = tf.spend_scale(x)
        adstocked = tf.adstock(x, w) / scale
        if sat == "logistic":
            p_sat = {"lam": float(rng.uniform(0.8, 2.5))}
            r = tf.logistic(adstocked, p_sat["lam"])
        elif sat == "hill":
            p_sat = {"k": float(rng.uniform(0.6, 1.6)), "slope": float(rng.uniform(1.0, 2.5))}
            r = tf.hill(adstocked, p_sat["k"], p_sat["slope"])
        elif sat == "michaelis_menten":
            p_sat = {"k": float(rng.uniform(0.5, 1.5))}
            r = tf.michaelis_menten(adstocked, p_sat["k"])
        else:
            p_sat, r = {}, adstocked
        responses[:, j] = r
        params.append({"adstock": ad, **p_ad, "saturation": sat, **p_sat, "spend_scale": scale})
    return responses, params


# ---------------------------------------------------------------- the target


def simulate(c: Case) -> tuple[pd.DataFrame, dict]:
    """The case's data frame and its truth."""
    rng = np.random.default_rng(c.seed)
    dates = pd.date_range("2022-01-03", periods=c.periods, freq=c.freq)
    days = 1 if c.freq == "D" else 7
    n, k = c.periods, c.channels
    spend = _spends(c, rng, days)
    responses, params = _media(c, rng, spend)

    tau = tf.year_phase(dates)
    vary = 0.4 if c.weak else 1.0  # a weak-signal case's media still explain 5-10% of variance
    baseline = np.full(n, c.level)
    baseline += vary * c.level * 0.1 * np.arange(n) / n  # +10% over the data
    baseline += tf.fourier(tau, 2) @ (vary * c.level * np.array([0.08, -0.04, 0.02, 0.01]))
    if c.level_shift:
        baseline[n // 2 :] += c.level_shift * c.level
    price = np.round(1 + 0.05 * np.cumsum(rng.normal(0, 0.2, n)) / np.sqrt(n), 4)
    price = np.clip(price, 0.8, 1.2)
    promo = (rng.uniform(size=n) < 0.1).astype(float)
    controls = {"price": price, "promo": promo}
    baseline += -0.5 * c.level * (price - price.mean()) + 0.05 * c.level * promo

    # coefficients: media total = media_share / (1 - media_share) of the baseline total
    weights = rng.dirichlet(np.full(k, 2.0))
    totals = spend.sum(axis=0)
    small = totals < 0.02 * totals.sum()
    weights = np.where(small, weights * 0.1, weights)
    weights /= weights.sum()
    media_total = c.media_share / (1 - c.media_share) * baseline.sum()
    coefs = media_total * weights / responses.sum(axis=0)
    contributions = responses * coefs

    mean = baseline + contributions.sum(axis=1)
    if c.weak:  # noise so that media explain about 7.5% of the target's variance
        media_var = contributions.sum(axis=1).var()
        sd = float(np.sqrt(max(media_var / 0.075 - media_var - baseline.var(), 0.0)))
        sd = max(sd, 0.01 * c.level)
    else:
        sd = 0.02 * c.level
    noise = rng.standard_t(3, n) * sd / np.sqrt(3) if c.heavy_tails else rng.normal(0, sd, n)
    target = mean + noise
    target = np.round(target, 2) if c.level >= 1e3 else np.round(target, 4)

    names = [f"ch{j + 1:02d}" for j in range(k)]
    frame = pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "target": target})
    for j, name in enumerate(names):
        frame[f"{name}_spend"] = spend[:, j]
    for name, values in controls.items():
        frame[name] = values

    channel_truth = {}
    for j, name in enumerate(names):
        total = float(contributions[:, j].sum())
        spent = float(totals[j])
        efficiency = {"roas": total / spent} if c.kind == "revenue" else {"cpa": spent / total}
        channel_truth[name] = {
            "contribution_total": total,
            "spend_total": spent,
            **efficiency,
            "coefficient": float(coefs[j]),
            **params[j],
        }
    media = contributions.sum(axis=1)
    truth = {
        "case": asdict(c),
        "kind": c.kind,
        "periods": n,
        "media_share_of_target": float(media.sum() / target.sum()),
        "target_total": float(target.sum()),
        "media_share_of_variance": float(media.var() / target.var()),
        "noise_sd": sd,
        "channels": channel_truth,
    }
    return frame, truth


def default_config(c: Case, names: list[str]) -> dict:
    """The config a new user writes: geometric adstock and hill saturation everywhere."""
    return {
        "name": c.name,
        "data": {"path": "data.csv", "date_column": "date"},
        "target": {"column": "target", "kind": c.kind},
        "channels": {
            name: {
                "spend": f"{name}_spend",
                "adstock": {"type": "geometric"},
                "saturation": {"type": "hill"},
            }
            for name in names
        },
        "controls": {"price": {"column": "price"}, "promo": {"column": "promo"}},
        "seasonality": {"yearly_fourier_order": 2},
        "trend": "linear",
        "output": {"dir": "runs"},
    }


def write_case(c: Case, folder: Path) -> Path:
    """Write the case's data, default config and truth into ``folder``; return the config."""
    folder.mkdir(parents=True, exist_ok=True)
    frame, truth = simulate(c)
    frame.to_csv(folder / "data.csv", index=False)
    (folder / "truth.json").write_text(json.dumps(truth, indent=2) + "\n")
    config = folder / "mmm.yaml"
    config.write_text(yaml.safe_dump(default_config(c, list(truth["channels"])), sort_keys=False))
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--case", action="append", help="only these cases (repeatable)")
    args = parser.parse_args()
    chosen = [case(name) for name in args.case] if args.case else list(CASES)
    for c in chosen:
        config = write_case(c, args.out / c.name)
        truth = json.loads((config.parent / "truth.json").read_text())
        print(
            f"{c.name:18s} {c.periods:4d} x {c.channels:2d}  media share "
            f"{truth['media_share_of_target']:.1%} of target, "
            f"{truth['media_share_of_variance']:.1%} of variance  -> {config}"
        )


if __name__ == "__main__":
    main()
