"""The terminal tables: nothing a user needs is cut, whatever the terminal's width."""

from __future__ import annotations

import pandas as pd
import pytest
from rich.console import Console

from mmmcli.cli import render


def _channels(names: list[str], calibrated: str = "none") -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "channel": name,
                "spend": 1234567.0,
                "contribution_mean": 123456.0,
                "contribution_hdi_low": 100000.0,
                "contribution_hdi_high": 150000.0,
                "share_mean": 0.3,
                "cpa_mean": 12.3,
                "cpa_hdi_low": 10.1,
                "cpa_hdi_high": 15.2,
                "calibrated": calibrated,
            }
            for name in names
        ]
    )


def _columns(text: str) -> list[str]:
    """Each column's text, top to bottom, without spaces (cells that wrapped rejoin)."""
    rows = [line.split("│")[1:-1] for line in text.splitlines() if line.startswith("│")]
    return ["".join(cells).replace(" ", "") for cells in zip(*rows, strict=True)]


@pytest.mark.parametrize("width", [60, 80, 120])
def test_channel_table_never_cuts_names_or_numbers(width):
    names = [f"Channel{i}_spend_long_name" for i in range(3)]
    console = Console(width=width, record=True, force_terminal=False)
    render.channels(console, _channels(names, "likelihood+lift_test"))
    text = console.export_text()
    assert "…" not in text
    assert all(len(line) <= width for line in text.splitlines())
    columns = _columns(text)
    for name in names:
        assert name in columns[0]
    assert "calibrated:likelihood+lift_test" in columns[0]
    for k, cell in enumerate(["1,234,567", "123,456[100,000,150,000]", "30.0%", "12.3[10.1,15.2]"]):
        assert columns[k + 1].count(cell) == len(names), (cell, columns[k + 1])


def test_channel_names_stay_on_one_line_at_80_columns():
    names = [f"Channel{i}_spend_long_name" for i in range(3)]
    console = Console(width=80, record=True, force_terminal=False)
    render.channels(console, _channels(names))
    lines = console.export_text().splitlines()
    for name in names:
        assert any(name in line for line in lines), name


def _failed(divergences: list[dict], advice: list[str]) -> dict:
    return {
        "divergences": 12,
        "failed": ["r_hat", "divergences"],
        "thresholds": {"max_r_hat": 1.01, "min_ess_bulk": 400.0, "max_divergences": 0},
        "diagnosis": {
            "worst_r_hat": [
                {"parameter": "seasonality_coef[sin1]", "value": 1.0834, "threshold": 1.01}
            ],
            "lowest_ess": [],
            "divergences": divergences,
            "advice": advice,
        },
    }


@pytest.mark.parametrize("width", [60, 100])
def test_failed_fit_diagnosis_keeps_every_word_and_bracket(width):
    console = Console(width=width, record=True)
    advice = ["give seasonality_coef[sin1] a tighter prior (bounds) " + "and more " * 12]
    render.diagnosis(console, _failed([], advice))
    text = " ".join(console.export_text().split())
    assert "Why the checks failed: r_hat above 1.01: seasonality_coef[sin1] 1.083" in text
    assert "12 divergent transitions (at most 0), concentrated in no parameter's tail" in text
    assert "What to do: - " + " ".join(advice[0].split()) in text


def test_nothing_to_render_for_a_passing_fit():
    console = Console(record=True)
    render.diagnosis(console, {"diagnosis": None})
    assert console.export_text() == ""
