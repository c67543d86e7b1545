"""Data screening: what the spends alone say a model cannot estimate, on constructed data."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmmcli.inputs.data import ModelData
from mmmcli.inputs.screening import (
    correlated_spends,
    flat_spends,
    rarely_active,
    screen,
    small_channels,
    too_many_parameters,
)


def model_data(spend: dict[str, np.ndarray], holdout: int = 0) -> ModelData:
    """Weekly ModelData with these spend columns (the rest is filler screening ignores)."""
    n = len(next(iter(spend.values())))
    return ModelData(
        path=Path("data.csv"),
        dates=pd.date_range("2024-01-01", periods=n, freq="W-MON"),
        freq="W-MON",
        y=np.ones(n),
        spend=np.column_stack(list(spend.values())),
        controls=np.zeros((n, 0)),
        channels=list(spend),
        control_names=[],
        spend_scale=np.ones(len(spend)),
        fourier=np.zeros((n, 0)),
        fourier_names=[],
        n_train=n - holdout,
    )


def spends(n: int = 104, seed: int = 0) -> dict[str, np.ndarray]:
    """tv and radio move together (r about 0.95), search on its own."""
    rng = np.random.default_rng(seed)
    tv = rng.gamma(4.0, 5000.0, n)
    return {
        "tv": tv,
        "radio": 0.3 * tv * rng.normal(1.0, 0.1, n),
        "search": rng.gamma(3.0, 2000.0, n),
    }


def test_correlated_pair_is_named_with_its_r():
    s = spends()
    data = model_data(s)
    (found,) = [f for f in screen(data) if f.kind == "correlated"]
    r = np.corrcoef(s["tv"], s["radio"])[0, 1]
    assert found.channels == ("tv", "radio")
    assert found.value == pytest.approx(r, abs=1e-12) and r > 0.9
    assert f"tv and radio spend correlate at {r:.2f}" in found.message
    assert "lift test" in found.message  # what to do, not only what is wrong
    assert not [f for f in screen(data) if "search" in f.channels]


def test_negative_correlation_counts_and_threshold_holds():
    rng = np.random.default_rng(1)
    a = rng.gamma(4.0, 100.0, 80)
    found = correlated_spends(np.column_stack([a, 1000 - a]), ["a", "b"])
    assert len(found) == 1 and found[0].value == pytest.approx(-1.0)
    noisy = np.column_stack([a, a + rng.normal(0, 3 * a.std(), 80)])  # r about 0.3
    assert correlated_spends(noisy, ["a", "b"]) == []


def test_correlation_uses_the_fitted_periods_only():
    s = spends(n=120)
    s["radio"][100:] = s["radio"][100:][::-1] * 5  # the holdout breaks the link
    data = model_data(s, holdout=20)
    (found,) = correlated_spends(data.spend[:100], data.channels)
    assert found.value == pytest.approx(np.corrcoef(s["tv"][:100], s["radio"][:100])[0, 1])
    assert [f.value for f in screen(data) if f.kind == "correlated"] == [found.value]


def test_huge_spends_do_not_overflow():
    s = {k: v * 1e300 for k, v in spends().items()}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any overflow or invalid-value warning fails
        found = screen(model_data(s))
    assert [f.kind for f in found] == ["correlated"]


def test_flat_channel():
    rng = np.random.default_rng(2)
    s = spends()
    s["sponsor"] = 10_000 * (1 + rng.normal(0, 0.01, 104))  # coefficient of variation ~0.01
    found = flat_spends(model_data(s).spend, list(s))
    assert [f.channels for f in found] == [("sponsor",)]
    assert found[0].value == pytest.approx(0.01, abs=0.003)
    assert "intercept" in found[0].message


def test_sparse_channel_is_not_also_called_flat():
    s = spends()
    s["promo"] = np.zeros(104)
    s["promo"][[10, 60]] = 5000.0
    kinds = {f.kind for f in screen(model_data(s)) if f.channels == ("promo",)}
    assert "sparse" in kinds and "flat" not in kinds
    (found,) = rarely_active(model_data(s).spend, list(s))
    assert found.value == 2 and "only 2 of 104" in found.message
    s["promo"][::8] = 5000.0  # 13 of 104 periods: enough
    assert rarely_active(model_data(s).spend, list(s)) == []


def test_sparse_threshold_is_five_percent_of_periods_or_three():
    column = np.zeros((200, 1))
    column[:9] = 1.0  # 9 < 5% of 200
    assert len(rarely_active(column, ["a"])) == 1
    column[:10] = 1.0
    assert rarely_active(column, ["a"]) == []


def test_small_channel():
    s = spends()
    total = sum(v.sum() for v in s.values())
    s["podcast"] = np.full(104, 0.005 * total / 104) * np.linspace(0.5, 1.5, 104)
    found = small_channels(model_data(s).spend, list(s))
    assert [f.channels for f in found] == [("podcast",)]
    assert found[0].value == pytest.approx(0.005 / 1.005, rel=1e-6)
    assert "0.5% of total spend" in found[0].message
    s["podcast"] *= 10  # about 5%
    assert small_channels(model_data(s).spend, list(s)) == []


def test_too_many_parameters():
    params = {"intercept": 1, "seasonality_coef": 8, "tv_alpha": 1, "tv_lam": 1, "tv_coef": 1}
    (found,) = too_many_parameters(params, periods=30)
    assert found.value == 12 and "12 free parameters for 30 fitted periods" in found.message
    assert "yearly_fourier_order (seasonality_coef has 8)" in found.message
    assert too_many_parameters(params, periods=36) == []  # 12 x 3 = 36: still fine


def test_random_walk_steps_do_not_count_as_parameters():
    params = {"intercept": 1, "tv_coef": 1, "tv_coef_grw_sigma": 1, "tv_coef_grw_step": 103}
    assert too_many_parameters(params, periods=104) == []
    assert len(too_many_parameters({**params, "x": 33}, periods=104)) == 1


def test_screen_counts_parameters_only_when_given():
    data = model_data(spends(n=30))
    assert not [f for f in screen(data) if f.kind == "parameters"]
    assert [f.kind for f in screen(data, {"a": 11}) if f.kind == "parameters"] == ["parameters"]
    assert screen(data, {"a": 11})[-1].to_json()["kind"] == "parameters"
