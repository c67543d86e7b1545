"""Plots stay readable whatever the channels are called (issue 32: long names squashed the
contributions plot)."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from PIL import Image

from mmmcli.runs.plots import _contributions, short_labels


def _draw(names: list[str], path) -> float:
    """Draw the contributions plot for channels ``names``; the axes' width in inches."""
    dates = pd.date_range("2024-01-01", periods=30, freq="W-MON")
    components = ["intercept", *names]
    rng = np.random.default_rng(0)
    contributions = pd.DataFrame(
        [(d, c, float(rng.uniform(1, 5))) for d in dates for c in components],
        columns=["date", "component", "mean"],
    )
    fit = pd.DataFrame({"date": dates, "actual": rng.uniform(10, 20, len(dates))})
    cfg = SimpleNamespace(
        name="acme", channels={n: None for n in names}, target=SimpleNamespace(column="sales")
    )
    _contributions(cfg, SimpleNamespace(contributions=contributions, fit=fit), path)
    fig = plt.gcf()
    width = fig.axes[0].get_position().width * fig.get_figwidth()
    plt.close("all")
    return width


def test_long_channel_names_do_not_squash_the_plot(tmp_path):
    short = [f"ch{i}" for i in range(12)]
    long = [f"paid_social_prospecting_lookalike_audience_campaign_{i:02d}" for i in range(12)]
    assert _draw(long, tmp_path / "long.png") == _draw(short, tmp_path / "short.png")
    assert Image.open(tmp_path / "long.png").size[0] > Image.open(tmp_path / "short.png").size[0]


def test_short_labels_stay_distinct():
    names = [f"paid_social_prospecting_campaign_{i}" for i in range(3)] + ["tv"]
    labels = short_labels(names)
    assert len(set(labels)) == 4 and labels[-1] == "tv"
    assert all(len(label) <= 24 for label in labels)
    clash = ["a" * 30 + "x" + "b" * 30, "a" * 30 + "y" + "b" * 30]
    assert len(set(short_labels(clash))) == 2
