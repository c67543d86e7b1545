"""Plots written to ``plots/`` in a run folder (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ..analysis.efficiency import metric as efficiency_metric  # noqa: E402
from ..analysis.results import Results  # noqa: E402
from ..spec.config import Config  # noqa: E402


def write_plots(cfg: Config, results: Results, folder: Path) -> list[Path]:
    """Fit vs actual, stacked contributions over time, channel efficiency forest plot."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [
        _fit(cfg, results.fit, folder / "fit.png"),
        _contributions(cfg, results, folder / "contributions.png"),
        _efficiency(cfg, results.channels, folder / "channel_efficiency.png"),
    ]
    if results.coefficients is not None:
        paths.append(_coefficients(cfg, results.coefficients, folder / "coefficients.png"))
    plt.close("all")
    return paths


LABEL = 24  # characters of a channel's name shown in a legend, a tick or a panel title


def short_labels(names: list[str], width: int = LABEL) -> list[str]:
    """Names cut in the middle to ``width`` characters (``paid_social_…_retargeting``), so a
    long channel name cannot squash the plot; longer where two would read the same."""
    while True:
        cut = [
            n if len(n) <= width else f"{n[: (width - 1) // 2]}…{n[-(width // 2) :]}" for n in names
        ]
        if len(set(cut)) == len(set(names)) or width > max(map(len, names), default=0):
            return cut
        width += 8


def _band(ax, dates, low, mid, high, observed, color: str, labels: tuple[str, str, str]) -> None:
    """A central line with its interval band, and the observed series on top."""
    ax.fill_between(dates, low, high, color=color, alpha=0.25, label=labels[0])
    ax.plot(dates, mid, color=color, lw=1.5, label=labels[1])
    ax.plot(dates, observed, color="k", lw=1, marker=".", ms=3, label=labels[2])


def _fit(cfg: Config, fit: pd.DataFrame, path: Path) -> Path:
    dates = pd.to_datetime(fit["date"])
    fig, ax = plt.subplots(figsize=(11, 4.5))
    if "predictive_low" in fit:  # where observations should fall: mean plus noise
        ax.fill_between(
            dates,
            fit["predictive_low"],
            fit["predictive_high"],
            color="C0",
            alpha=0.1,
            label=f"{cfg.hdi_prob:.0%} predictive interval",
        )
    _band(
        ax,
        dates,
        fit["hdi_low"],
        fit["mean"],
        fit["hdi_high"],
        fit["actual"],
        "C0",
        (f"{cfg.hdi_prob:.0%} HDI of the mean", "model mean", "actual"),
    )
    if fit["holdout"].any():
        start = dates[fit["holdout"].to_numpy()].min()
        ax.axvspan(start, dates.max(), color="grey", alpha=0.15, label="holdout")
    ax.set_title(f"{cfg.name}: fit vs actual ({cfg.target.column})")
    ax.set_ylabel(cfg.target.column)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def _contributions(cfg: Config, results: Results, path: Path) -> Path:
    wide = results.contributions.pivot(index="date", columns="component", values="mean")
    dates = pd.to_datetime(wide.index)
    channels = list(cfg.channels)
    base = wide.drop(columns=channels).sum(axis=1)
    fig, ax = plt.subplots(figsize=(11, 5))
    layers = [base.to_numpy()] + [wide[c].to_numpy() for c in channels]
    ax.stackplot(
        dates,
        *layers,
        labels=["baseline (intercept, trend,\nseasonality, controls)", *short_labels(channels)],
        alpha=0.85,
    )
    actual = results.fit.set_index("date").loc[wide.index, "actual"]
    ax.plot(dates, actual.to_numpy(), color="k", lw=1, label="actual")
    lo = float(np.nanmin(base.to_numpy()))
    ax.set_ylim(bottom=min(lo, 0) if lo < 0 else lo * 0.9)
    ax.set_title(f"{cfg.name}: contributions over time (posterior means)")
    ax.set_ylabel(cfg.target.column)
    # beside the axes, not over the series; the figure widens for it (bbox_inches)
    legend = ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8,
        ncol=1 if len(channels) < 18 else 2,
        frameon=False,
    )
    legend.set_in_layout(False)  # the axes keep their width; the saved image grows instead
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight", bbox_extra_artists=[legend])
    return path


def _efficiency(cfg: Config, channels: pd.DataFrame, path: Path) -> Path:
    metric = efficiency_metric(cfg.target.kind)
    label = "ROAS (target per unit spend)" if metric == "roas" else "CPA (spend per conversion)"
    fig, ax = plt.subplots(figsize=(7, 0.6 * len(channels) + 1.5))
    y = np.arange(len(channels))[::-1]
    mean = channels[f"{metric}_mean"].to_numpy(dtype=float)
    low = channels[f"{metric}_hdi_low"].to_numpy(dtype=float)
    high = channels[f"{metric}_hdi_high"].to_numpy(dtype=float)
    finite_high = np.where(
        np.isfinite(high), high, np.nanmax(np.where(np.isfinite(high), high, 0)) * 1.5
    )
    ax.hlines(y, low, finite_high, color="C0", lw=3, label=f"{cfg.hdi_prob:.0%} HDI")
    ax.plot(mean, y, "o", color="k", label="mean")
    ax.set_yticks(y, short_labels(list(channels["channel"])))
    ax.set_xlabel(label)
    ax.set_title(f"{cfg.name}: channel efficiency")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def _coefficients(cfg: Config, table: pd.DataFrame, path: Path) -> Path:
    """Each time-varying coefficient over time with its HDI band."""
    names = list(dict.fromkeys(table["component"]))
    fig, axes = plt.subplots(len(names), 1, figsize=(11, 3 * len(names)), squeeze=False)
    for ax, name in zip(axes[:, 0], names, strict=True):
        rows = table[table["component"] == name]
        dates = pd.to_datetime(rows["date"])
        ax.fill_between(
            dates,
            rows["hdi_low"],
            rows["hdi_high"],
            alpha=0.25,
            color="C2",
            label=f"{cfg.hdi_prob:.0%} HDI",
        )
        ax.plot(dates, rows["mean"], color="C2", label="mean")
        what = "intercept" if name == "intercept" else f"{name} coefficient"
        ax.set_title(f"{cfg.name}: {what} over time")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def prior_predictive_plot(cfg: Config, target: pd.DataFrame, prob: float, path: Path) -> Path:
    """The target's prior predictive range per period against the observed series."""
    fig, ax = plt.subplots(figsize=(11, 4.5))
    _band(
        ax,
        pd.to_datetime(target["date"]),
        target["low"],
        target["median"],
        target["high"],
        target["observed"],
        "C1",
        (f"prior predictive {prob:.0%} range", "prior predictive median", "observed"),
    )
    ax.set_title(f"{cfg.name}: what the priors imply for {cfg.target.column}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def response_curves_plot(title: str, ylabel: str, curves: pd.DataFrame, prob: float, path: Path):
    """Each channel's response against its spend over the fitted window, current spend marked."""
    channels = list(dict.fromkeys(curves["channel"]))
    cols = min(3, len(channels))
    rows = int(np.ceil(len(channels) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.3 * rows), squeeze=False)
    titles = dict(zip(channels, short_labels(channels), strict=True))
    for ax, channel in zip(axes.flat, channels, strict=False):
        c = curves[curves["channel"] == channel]
        ax.fill_between(
            c["spend"], c["response_hdi_low"], c["response_hdi_high"], alpha=0.25, color="C0"
        )
        ax.plot(c["spend"], c["response_mean"], color="C0")
        now = c[np.isclose(c["multiplier"], 1.0)]
        ax.plot(now["spend"], now["response_mean"], "o", color="k", label="current spend")
        ax.set_title(titles[channel])
        ax.set_xlabel("spend over the fitted periods")
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=7, loc="lower right")
    for ax in list(axes.flat)[len(channels) :]:
        ax.set_visible(False)
    fig.suptitle(f"{title}: response curves (mean and {prob:.0%} HDI, carry-over included)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def allocation_plot(title: str, table: pd.DataFrame, prob: float, path: Path) -> Path:
    """Recent vs recommended spend per channel, and the expected response of each."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 0.5 * len(table) + 2.5))
    y = np.arange(len(table))[::-1]
    h = 0.38
    left.barh(y + h / 2, table["recent_spend"], h, color="0.6", label="recent")
    left.barh(y - h / 2, table["recommended_spend"], h, color="C0", label="recommended")
    left.set_yticks(y, short_labels(list(table["channel"])))
    left.set_xlabel("spend over the horizon")
    left.legend(fontsize=8)
    err = np.clip(  # a fixed channel's draws are all equal: its HDI is the mean, give or take
        np.vstack(
            [
                table["response_mean"] - table["response_hdi_low"],
                table["response_hdi_high"] - table["response_mean"],
            ]
        ),
        0.0,
        None,
    )
    right.barh(y, table["response_mean"], color="C0", xerr=err, capsize=3)
    right.barh(y, table["baseline_response_mean"], color="none", edgecolor="k", label="recent mix")
    right.set_yticks(y, short_labels(list(table["channel"])))
    right.set_xlabel(f"expected response (mean, {prob:.0%} HDI)")
    right.legend(fontsize=8)
    fig.suptitle(f"{title}: recommended allocation")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def validation_plot(cfg: Config, scored: pd.DataFrame, channels: pd.DataFrame, path: Path):
    """Top: each fold's test periods, actual against the predictive interval. Bottom: each
    channel's contribution share per fold (a stable model keeps its story)."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 7.5))
    dates = pd.to_datetime(scored["date"])
    for k, (fold, rows) in enumerate(scored.groupby("fold")):
        d = pd.to_datetime(rows["date"])
        top.fill_between(
            d, rows["predictive_low"], rows["predictive_high"], color=f"C{k % 10}", alpha=0.25
        )
        top.plot(d, rows["mean"], color=f"C{k % 10}", lw=1.2, label=f"fold {fold}")
    top.plot(dates, scored["actual"], "k.", ms=4, label="actual")
    top.set_title(
        f"{cfg.name}: rolling-origin validation, {cfg.hdi_prob:.0%} predictive interval per fold"
    )
    top.set_ylabel(cfg.target.column)
    top.legend(fontsize=7, ncol=4)
    names = [str(c) for c in dict.fromkeys(channels["channel"])]
    labels = dict(zip(names, short_labels(names), strict=True))
    for channel, rows in channels.groupby("channel", sort=False):
        bottom.plot(rows["fold"], rows["share_mean"], marker="o", label=labels[str(channel)])
    bottom.set_xticks(sorted(channels["fold"].unique()))
    bottom.set_xlabel("fold (training window grows to the right)")
    bottom.set_ylabel("share of media contribution")
    bottom.legend(fontsize=7, ncol=4)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
