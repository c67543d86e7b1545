"""Degenerate targets: refused with the file, line and column (exit 2), or warned about.

The example data (156 weeks, the last 8 a holdout, a conversions target) with its target
column replaced; `check` must refuse or warn exactly as the data call for.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmmcli.errors import DataError
from mmmcli.inputs.data import load_data, training_window
from mmmcli.inputs.screening import target_support
from mmmcli.spec.config import load_config
from tests.helpers import SAMPLE, example_config, invoke

N, HOLDOUT = 156, 8
FITTED = N - HOLDOUT


def _project(tmp_path: Path, target: np.ndarray, kind: str = "conversions", **changes) -> Path:
    frame = pd.read_csv(SAMPLE / "weekly.csv")
    frame["conversions"] = target
    frame.to_csv(tmp_path / "data.csv", index=False)
    path = example_config(tmp_path, **changes)
    raw = path.read_text().replace(str(SAMPLE / "weekly.csv"), str(tmp_path / "data.csv"))
    path.write_text(raw.replace("kind: conversions", f"kind: {kind}"))
    return path


def _varying(seed: int = 0) -> np.ndarray:
    return np.round(np.random.default_rng(seed).gamma(20.0, 50.0, N), 2)


@pytest.mark.parametrize("value", [0.0, 1283.0, -5.0])
def test_a_constant_target_is_refused(tmp_path, value):
    """Before: all zeros passed `check`, and `fit` exited 0 with CPAs near 5e11."""
    config = _project(tmp_path, np.full(N, value), kind="revenue")
    result = invoke("check", config)
    assert result.exit_code == 2, result.stderr
    assert f"data.csv: column 'conversions' (the target) is {value:g} in every one" in result.stderr
    assert "148 fitted periods" in result.stderr.replace("\n", " ")


def test_constant_over_the_fitted_periods_only_is_refused(tmp_path):
    """The holdout is never fitted: a target that only moves there gives the fit nothing."""
    y = np.full(N, 100.0)
    y[FITTED:] = _varying()[FITTED:]
    with pytest.raises(DataError, match=r"is 100 in every one of the 148 fitted periods"):
        load_data(load_config(_project(tmp_path, y)))


def test_a_negative_conversion_is_refused_with_its_line(tmp_path):
    y = _varying()
    y[40] = -3.0
    with pytest.raises(DataError, match=r"data.csv: line 42: column 'conversions' .* -3, but"):
        load_data(load_config(_project(tmp_path, y)))
    y[40] = 3.0
    y[N - 1] = -1.0  # in the holdout: still not a count
    with pytest.raises(DataError, match=r"line 157: column 'conversions'"):
        load_data(load_config(_project(tmp_path, y)))


def test_revenue_must_have_a_positive_total(tmp_path):
    y = -_varying()  # all negative
    with pytest.raises(DataError, match=r"sums to -[0-9.e+]+ over the 148 fitted periods"):
        load_data(load_config(_project(tmp_path, y, kind="revenue")))
    centred = _varying() - _varying()[:FITTED].mean()
    with pytest.raises(DataError, match=r"needs a positive total"):
        load_data(load_config(_project(tmp_path, centred, kind="revenue")))


def test_revenue_with_a_few_negative_weeks_is_a_warning(tmp_path):
    y = _varying()
    y[[10, 50]] = -20.0  # refunds
    result = invoke("check", _project(tmp_path, y, kind="revenue"))
    assert result.exit_code == 0, result.stderr
    assert "conversions is negative in 2 of 148 fitted periods" in " ".join(result.stderr.split())


def test_a_target_that_moves_in_fewer_periods_than_parameters_is_refused(tmp_path):
    """The example model has 20 free parameters: 19 non-zero weeks cannot carry them."""
    y = np.zeros(N)
    y[np.arange(0, 19 * 7, 7)] = 500.0
    result = invoke("check", _project(tmp_path, y))
    assert result.exit_code == 2, result.stderr
    said = " ".join(result.stderr.split())
    assert "column 'conversions' (the target) is 0 in 129 of the 148 fitted periods" in said
    assert "the 19 others are fewer than the model's 20 free parameters" in said


def test_a_mostly_zero_target_is_a_warning(tmp_path):
    y = np.zeros(N)
    y[np.arange(0, N, 3)] = _varying()[np.arange(0, N, 3)]  # a third of the weeks
    result = invoke("check", _project(tmp_path, y))
    assert result.exit_code == 0, result.stderr
    assert "conversions is 0 in 98 of 148 fitted periods" in " ".join(result.stderr.split())


def test_a_validation_window_is_checked_like_the_whole_data(tmp_path):
    """A fold fits only its window: a target that starts moving after it is refused there."""
    y = _varying()
    y[:100] = 7.0
    cfg = load_config(_project(tmp_path, y))
    data = load_data(cfg)
    training_window(cfg, data, 110, 120)
    with pytest.raises(DataError, match=r"is 7 in every one of the 91 fitted periods"):
        training_window(cfg, data, 91, 104)


def test_target_support_counts_parameters_as_the_screen_does(tmp_path):
    """Random-walk steps are tied by their step size: not counted (``too_many_parameters``)."""
    y = np.zeros(N)
    y[:12] = 1.0 + np.arange(12)
    data = load_data(load_config(_project(tmp_path, y)))
    assert target_support(data, {"a": 5, "b_grw_step": 140})[0].kind == "target"
    with pytest.raises(DataError, match="the 12 others are fewer than the model's 13"):
        target_support(data, {"a": 13})


def test_validate_refuses_a_fold_whose_target_barely_moves_before_sampling(tmp_path):
    """The whole data carry the model (check passes, with a warning); the first fold's window
    does not, and `validate` says so before it samples any fold."""
    y = np.zeros(N)
    y[np.arange(0, 130, 9)] = 400.0  # 15 moving weeks in the first fold's 130
    y[130:] = _varying()[130:]
    config = _project(tmp_path, y)
    assert invoke("check", config).exit_code == 0
    result = invoke("validate", config, "--folds", "2", "--horizon", "13")
    assert result.exit_code == 2, result.stderr
    said = " ".join(result.stderr.split())
    assert "is 0 in 115 of the 130 fitted periods; the 15 others are fewer" in said


def test_a_target_whose_sum_overflows_says_so():
    """1e307 a week sums past the largest float: the scale, not the sign, is the problem."""
    from mmmcli.inputs.target import check_target

    values = np.array([1e307 * (1 + i % 7 / 10) for i in range(148)])
    with pytest.raises(DataError, match="too large to add up"):
        check_target(Path("data.csv"), "conversions", "conversions", values, 148, None)
