"""`mmm compare` on real fits: the README's weekly refit (the same world, more weeks) reports no
drift, and a changed effect still does. One session fit (``quick_run``: the sample data, 148
fitted weeks) and two quick fits of 127 weeks here."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.helpers import SAMPLE, example_config, invoke

WEEKS = 135  # 127 fitted after the example's 8-week holdout; the session fit has 21 more


def _fit(folder: Path, frame: pd.DataFrame) -> Path:
    folder.mkdir()
    frame.to_csv(folder / "data.csv", index=False)
    config = example_config(folder)
    raw = yaml.safe_load(config.read_text())
    raw["data"]["path"] = str(folder / "data.csv")
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    result = invoke("fit", config, "--quick", "--json")
    assert result.exit_code == 0, result.stderr
    return Path(json.loads(result.stdout)["run_dir"])


@pytest.fixture(scope="module")
def shorter(tmp_path_factory) -> dict[str, Path]:
    """The sample data's first 135 weeks as they are, and with price mattering less: 300
    conversions more per unit of price above its mean (the fitted coefficient is near -390)."""
    folder = tmp_path_factory.mktemp("appended")
    rows = pd.read_csv(SAMPLE / "weekly.csv").iloc[:WEEKS]
    changed = rows.assign(conversions=rows["conversions"] + 300 * (rows.price - rows.price.mean()))
    return {"same": _fit(folder / "same", rows), "changed": _fit(folder / "changed", changed)}


def _compare(run: Path, baseline: Path) -> tuple[int, dict]:
    result = invoke("compare", run, baseline, "--json")
    return result.exit_code, json.loads(result.stdout)


def _row(payload: dict, quantity: str, name: str) -> dict:
    (row,) = [
        r
        for r in payload["rows"]
        if r["quantity"] == quantity and r["channel_or_component"] == name
    ]
    return row


@pytest.mark.sampling
def test_a_refit_on_more_weeks_of_the_same_world_reports_no_drift(quick_run, shorter):
    """It reported `trend 0 -> -885 DRIFT` and price drifting on a fifth of the weeks."""
    code, payload = _compare(quick_run[1], shorter["same"])
    assert code == 0, [r for r in payload["rows"] if r["drifted"]]
    for name in ("price", "trend", "intercept", "seasonality"):
        row = _row(payload, "contribution_per_period", name)
        assert row["dates_drifted"].endswith("/127") and not row["drifted"], row
    assert not _row(payload, "control_coefficient", "price")["drifted"]
    assert not _row(payload, "trend_slope", "trend")["drifted"]


@pytest.mark.sampling
def test_a_changed_effect_still_drifts(quick_run, shorter):
    code, payload = _compare(quick_run[1], shorter["changed"])
    assert code == 4
    assert _row(payload, "control_coefficient", "price")["drifted"]
    assert _row(payload, "contribution_per_period", "price")["drifted"]
