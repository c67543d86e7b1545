"""``mmm validate``: the folds' arithmetic, experiments after a fold's window, and a real run."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from mmmcli.errors import UsageError
from mmmcli.inputs.calibration import load_calibration
from mmmcli.inputs.data import load_data, training_window
from mmmcli.spec.config import load_config
from mmmcli.workflows.validate import folds_of
from tests.helpers import CALIBRATED, EXAMPLE, invoke


def test_folds_grow_and_the_last_ends_with_the_data():
    data = load_data(load_config(EXAMPLE))
    folds = folds_of(data, 5, 13)
    assert [f.n - f.n_train for f in folds] == [13] * 5
    assert folds[-1].n == data.n == 156
    assert [f.n_train for f in folds] == [91, 104, 117, 130, 143]
    with pytest.raises(UsageError, match="cannot hold 12 folds of 13 test periods"):
        folds_of(data, 12, 13)


def test_a_fold_leaves_out_experiments_after_its_window():
    cfg = load_config(CALIBRATED)
    data = load_data(cfg)
    window = training_window(cfg, data, 80, 93)  # ends 2024-07-08
    calib = load_calibration(cfg, window, drop_later=True)
    assert len(calib.tests) == 2  # the 2025 search test begins later
    assert any("1 of 3 rows end after the fitted periods" in w for w in calib.warnings)
    assert all(s.index.max() < 80 for s in calib.series)
    assert window.spend_scale[0] == pytest.approx(data.spend[:80, 0][data.spend[:80, 0] > 0].mean())


@pytest.mark.sampling
def test_validate_writes_folds_and_reuses_compiled_code(tmp_path):
    result = invoke(
        "validate",
        EXAMPLE,
        "--folds",
        "2",
        "--horizon",
        "8",
        "--quick",
        "--out",
        tmp_path,
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    folder = tmp_path / "example" / out["run_dir"].rsplit("/", 1)[-1]
    for name in ("folds.csv", "fold_channels.csv", "validate.json", "plots/validate.png"):
        assert (folder / name).is_file(), name
    folds = pd.read_csv(folder / "folds.csv")
    assert list(folds["fold"]) == [1, 2] and list(folds["n_test"]) == [8, 8]
    assert folds["test_end"].iloc[-1] == "2025-12-22"  # the data's last week
    assert ((folds["coverage_94"] >= 0) & (folds["coverage_94"] <= 1)).all()
    assert (folds["crps"] > 0).all()
    assert folds["compile_cache"].iloc[1] in ("hit", "off")  # same structure: no recompile
    shares = pd.read_csv(folder / "fold_channels.csv")
    assert len(shares) == 8 and set(shares["channel"]) == {"tv", "radio", "social", "search"}
