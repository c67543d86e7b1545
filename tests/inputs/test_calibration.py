"""Experiment files: uplift series and lift tests read, checked, and shared out over periods."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmmcli import load_config
from mmmcli.errors import DataError
from mmmcli.workflows.prepare import prepare
from tests.helpers import with_calibration


def _load(cfg_path: Path):
    cfg = load_config(cfg_path)
    return prepare(cfg)


def _write(folder: Path, name: str, text: str) -> str:
    (folder / name).write_text(text)
    return name


@pytest.mark.parametrize(
    "text, pattern",
    [
        ("date,uplift,sigma\n2024-03-04,10,0\n", r"line 2: column 'sigma' must be > 0"),
        ("date,uplift\n2030-01-07,10\n", r"line 2: date 2030-01-07 is outside the fitted periods"),
        ("date,uplift\n2024-03-05,10\n", r"line 2: date 2024-03-05 is not one of the data's"),
        ("date,lift\n2024-03-04,10\n", r"column 'uplift' not found \(did you mean 'lift'\?\)"),
        ("date,uplift\n2024-03-04,10\n2024-03-04,11\n", r"line 3: date 2024-03-04 appears twice"),
        ("date,uplift\n2024-03-04,abc\n", r"line 2: column 'uplift' is not a number: 'abc'"),
    ],
    ids=["sigma", "outside", "not-a-period", "column", "duplicate", "non-numeric"],
)
def test_uplift_file_errors(twins, tmp_path, text, pattern):
    name = _write(tmp_path, "bad.csv", text)
    path = with_calibration(twins["plain"], [{"channel": "a", "path": name}])
    with pytest.raises(DataError, match=pattern) as err:
        _load(path)
    assert "bad.csv" in str(err.value)


@pytest.mark.parametrize(
    "text, pattern",
    [
        (
            "channel,start,end,spend_delta,uplift,sigma\ntv,2024-03-04,2024-03-31,100,5,1\n",
            r"line 2: unknown channel 'tv'",
        ),
        (
            "channel,start,end,spend_delta,uplift,sigma\na,2023-03-04,2023-03-31,100,5,1\n",
            r"line 2: window 2023-03-04..2023-03-31 is outside the fitted periods",
        ),
        (
            "channel,start,end,spend_delta,uplift,sigma\na,2024-03-04,2024-03-31,100,5,-1\n",
            r"line 2: column 'sigma' must be > 0",
        ),
        (
            "channel,start,end,uplift,sigma\na,2024-03-04,2024-03-31,5,1\n",
            r"lift tests need columns",
        ),
        (
            "channel,start,end,spend_delta,uplift,sigma\na,2024-03-31,2024-03-04,100,5,1\n",
            r"line 2: end 2024-03-04 is before start",
        ),
        (
            "channel,start,end,spend_delta,uplift,sigma\na,2024-03-04,2024-03-10,1e9,5,1\n",
            r"line 2: spend_delta 1e\+09 exceeds the a spend",
        ),
        (
            "channel,liftStartDate,liftEndDate,liftAbs,spend\na,2024-03-04,2024-03-31,50,4000\n",
            r"Robyn lift tests need a 'se' or 'sigma' column",
        ),
    ],
    ids=["channel", "outside", "sigma", "columns", "order", "delta", "robyn-no-se"],
)
def test_lift_file_errors(twins, tmp_path, text, pattern):
    name = _write(tmp_path, "bad.csv", text)
    path = with_calibration(twins["plain"], [{"path": name}])
    with pytest.raises(DataError, match=pattern) as err:
        _load(path)
    assert "bad.csv" in str(err.value)


def test_conflicting_methods_refused(twins, tmp_path):
    lift = _write(
        tmp_path,
        "lift.csv",
        "channel,start,end,spend_delta,uplift,sigma\na,2024-03-04,2024-03-31,100,5,1\n",
    )
    path = with_calibration(
        twins["plain"],
        [
            {"channel": "a", "path": "uplift_a.csv", "method": "fixed"},
            {"path": lift, "method": "likelihood"},
        ],
    )
    with pytest.raises(DataError, match=r"channel 'a' is calibrated both as 'fixed' and"):
        _load(path)


def test_robyn_confidence_gives_sigma_and_warning(twins, tmp_path):
    name = _write(
        tmp_path,
        "robyn.csv",
        "channel,liftStartDate,liftEndDate,liftAbs,spend,confidence\n"
        "a,2024-03-04,2024-03-31,196,4000,0.95\n",
    )
    path = with_calibration(twins["plain"], [{"path": name}])
    _, _, calib = _load(path)
    (test,) = calib.tests
    assert test.kind == "robyn" and test.sigma == pytest.approx(100.0, rel=1e-3)
    spend = pd.read_csv(tmp_path / "data.csv").set_index("date").loc["2024-03-04":"2024-03-25", "a"]
    assert test.delta.sum() == pytest.approx(spend.sum())  # the window's whole spend vs zero
    assert any("confidence" in w for w in calib.warnings)


def test_spend_delta_is_shared_out_over_the_window(twins, tmp_path):
    """A cut is shared evenly by day; extra spend in proportion to the observed spend."""
    # 10 days: Mon 2024-03-04 .. Wed 2024-03-13 -> 7 days in one week, 3 in the next
    name = _write(
        tmp_path,
        "lift.csv",
        "channel,start,end,spend_delta,uplift,sigma\n"
        "a,2024-03-04,2024-03-13,-100,-5,1\n"
        "a,2024-03-04,2024-03-13,100,5,1\n",
    )
    path = with_calibration(twins["plain"], [{"path": name}])
    data, _, calib = prepare(load_config(path))
    cut, extra = calib.tests
    nz = np.flatnonzero(cut.delta)
    assert cut.delta[nz].tolist() == pytest.approx([-70.0, -30.0])
    spend = data.spend[nz, 0] * np.array([1.0, 3 / 7])
    assert extra.delta[nz] == pytest.approx(100 * spend / spend.sum())
    assert cut.horizon.sum() == 2  # no adstock: the window only
