"""`mmm compare`: drift rules, date handling and run-folder resolution, on tiny synthetic runs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmmcli.analysis.compare import compare_runs, resolve_run
from mmmcli.errors import UsageError

DATES = [d.strftime("%Y-%m-%d") for d in pd.date_range("2024-01-01", periods=20, freq="W-MON")]
CHANNELS = {"tv": 100.0, "search": 50.0}  # CPA means
CONTROLS = ("price", "intercept", "trend", "seasonality")


def channels_frame(cpa: dict[str, float] | None = None, width: float = 0.05) -> pd.DataFrame:
    """channels.csv with CPA means ``cpa`` and HDIs of ±``width`` (relative) around them."""
    cpa = cpa or CHANNELS
    total = len(cpa) * 1000.0
    rows = []
    for name, mean in cpa.items():
        rows.append(
            {
                "channel": name,
                "spend": 1000.0 * mean,
                "contribution_mean": 1000.0,
                "contribution_hdi_low": 900.0,
                "contribution_hdi_high": 1100.0,
                "share_mean": 1000.0 / total,
                "cpa_mean": mean,
                "cpa_hdi_low": mean * (1 - width),
                "cpa_hdi_high": mean * (1 + width),
                "calibrated": "none",
            }
        )
    return pd.DataFrame(rows)


def contributions_frame(
    components=(*CHANNELS, *CONTROLS), dates=DATES, scale: dict[str, float] | None = None
) -> pd.DataFrame:
    """contributions.csv: 50 per date per component (times ``scale[component]``), HDI ±5%."""
    scale = scale or {}
    rows = []
    for component in components:
        for date in dates:
            mean = 50.0 * scale.get(component, 1.0)
            rows.append(
                {
                    "date": date,
                    "component": component,
                    "mean": mean,
                    "hdi_low": mean * 0.95,
                    "hdi_high": mean * 1.05,
                }
            )
    return pd.DataFrame(rows)


def make_run(
    folder: Path,
    channels: pd.DataFrame | None = None,
    contributions: pd.DataFrame | None = None,
    r2: float = 0.9,
    status: str = "passed",
) -> Path:
    """Write a minimal run folder and return it."""
    folder.mkdir(parents=True)
    channels = channels_frame() if channels is None else channels
    contributions = contributions_frame() if contributions is None else contributions
    channels.to_csv(folder / "channels.csv", index=False)
    contributions.to_csv(folder / "contributions.csv", index=False)
    fit = {"r2": r2, "mape": 0.05, "smape": 0.05, "nrmse": None, "rmse": 3.0, "n": 20}
    (folder / "metrics.json").write_text(json.dumps({"in_sample": fit, "holdout": None}))
    dates = sorted(contributions["date"])
    manifest = {"status": status, "data": {"start": dates[0], "end": dates[-1]}}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def rows_for(comparison, quantity: str) -> dict[str, dict]:
    return {r["channel_or_component"]: r for r in comparison.rows if r["quantity"] == quantity}


def test_identical_runs_do_not_drift(tmp_path):
    run, base = make_run(tmp_path / "a"), make_run(tmp_path / "b")
    result = compare_runs(run, base)
    assert not result.drifted
    assert not any(r["drifted"] for r in result.rows)
    assert set(rows_for(result, "cpa")) == set(CHANNELS)
    assert set(rows_for(result, "share")) == set(CHANNELS)
    assert set(rows_for(result, "contribution_total")) == set(CHANNELS)
    periods = rows_for(result, "contribution_per_period")
    assert set(periods) == {*CHANNELS, *CONTROLS}
    assert periods["tv"]["dates_drifted"] == "0/20"
    assert set(rows_for(result, "fit_in_sample")) == {"r2", "mape", "smape", "nrmse"}
    assert result.notes == []
    json.dumps(result.to_json(), allow_nan=False)


@pytest.mark.parametrize(
    ("factor", "width", "overlap", "drifted"),
    [
        (1.3, 0.05, False, True),  # moved 30%, HDIs apart
        (1.3, 0.25, True, False),  # moved 30%, HDIs overlap
        (1.05, 0.01, False, False),  # HDIs apart, but moved only 5%
    ],
)
def test_cpa_drift_needs_rtol_and_disjoint_hdis(tmp_path, factor, width, overlap, drifted):
    base = make_run(tmp_path / "base", channels=channels_frame(width=width))
    moved = channels_frame({"tv": 100.0 * factor, "search": 50.0}, width=width)
    run = make_run(tmp_path / "run", channels=moved)
    result = compare_runs(run, base)
    tv = rows_for(result, "cpa")["tv"]
    assert tv["rel_change"] == pytest.approx(factor - 1)
    assert tv["hdi_overlap"] is overlap
    assert tv["drifted"] is drifted
    assert result.drifted is drifted
    assert rows_for(result, "cpa")["search"]["drifted"] is False


def test_rtol_is_configurable(tmp_path):
    base = make_run(tmp_path / "base", channels=channels_frame(width=0.01))
    run = make_run(tmp_path / "run", channels=channels_frame({"tv": 105.0, "search": 50.0}, 0.01))
    assert compare_runs(run, base, rtol=0.02).drifted
    assert not compare_runs(run, base, rtol=0.1).drifted


def test_share_drifts_on_rtol_alone(tmp_path):
    base = make_run(tmp_path / "base")
    shifted = channels_frame()
    shifted["share_mean"] = [0.7, 0.3]
    result = compare_runs(make_run(tmp_path / "run", channels=shifted), base)
    shares = rows_for(result, "share")
    assert shares["tv"]["hdi_overlap"] is None
    assert shares["tv"]["drifted"] and shares["search"]["drifted"]


def test_fit_metrics_are_informational(tmp_path):
    base = make_run(tmp_path / "base", r2=0.9)
    result = compare_runs(make_run(tmp_path / "run", r2=0.3), base)
    r2 = rows_for(result, "fit_in_sample")["r2"]
    assert r2["rel_change"] == pytest.approx(-2 / 3)
    assert r2["informational"] and not r2["drifted"]
    assert not result.drifted
    nrmse = rows_for(result, "fit_in_sample")["nrmse"]  # null in metrics.json
    assert nrmse["rel_change"] is None and not nrmse["drifted"]
    assert result.to_json()["rows"][-1]["baseline"] is None


def test_different_date_ranges_skip_totals_and_compare_shared_dates(tmp_path):
    base = make_run(tmp_path / "base", contributions=contributions_frame(dates=DATES[:15]))
    run = make_run(tmp_path / "run", contributions=contributions_frame(dates=DATES[5:]))
    result = compare_runs(run, base)
    assert rows_for(result, "contribution_total") == {}
    assert rows_for(result, "contribution_per_period")["tv"]["dates_drifted"] == "0/10"
    assert any("totals not compared" in n and "10 shared dates" in n for n in result.notes)
    assert not result.drifted


def test_per_period_drift_counts_dates(tmp_path):
    base = make_run(tmp_path / "base")
    contributions = contributions_frame(scale={"trend": 2.0})
    few = contributions_frame()
    doubled = (few["component"] == "price") & few["date"].isin(DATES[:2])
    few.loc[doubled, ["mean", "hdi_low", "hdi_high"]] *= 2
    result = compare_runs(make_run(tmp_path / "run", contributions=contributions), base)
    trend = rows_for(result, "contribution_per_period")["trend"]
    assert trend["dates_drifted"] == "20/20" and trend["drifted"]
    assert result.drifted
    # 2 of 20 dates drifted (10%, not more than 10%): no drift
    result = compare_runs(make_run(tmp_path / "run2", contributions=few), base)
    price = rows_for(result, "contribution_per_period")["price"]
    assert price["dates_drifted"] == "2/20" and not price["drifted"]


def test_channel_missing_in_one_run_drifts(tmp_path):
    base = make_run(tmp_path / "base")
    channels = channels_frame({"tv": 100.0})
    contributions = contributions_frame(components=("tv", *CONTROLS))
    result = compare_runs(make_run(tmp_path / "run", channels, contributions), base)
    assert result.drifted
    search = rows_for(result, "channel")["search"]
    assert search["drifted"] and search["change"] == "removed"
    assert "search" not in rows_for(result, "contribution_per_period")  # reported once
    assert any("'search' only in the baseline" in n for n in result.notes)


def test_component_added_drifts(tmp_path):
    base = make_run(tmp_path / "base")
    contributions = contributions_frame(components=(*CHANNELS, *CONTROLS, "holiday"))
    result = compare_runs(make_run(tmp_path / "run", contributions=contributions), base)
    holiday = rows_for(result, "contribution_per_period")["holiday"]
    assert holiday["drifted"] and holiday["change"] == "added"
    assert result.drifted


def test_infinite_cpa_bounds(tmp_path):
    channels = channels_frame()
    channels.loc[channels["channel"] == "tv", "cpa_hdi_high"] = math.inf
    base = make_run(tmp_path / "base", channels=channels)
    moved = channels.copy()
    moved.loc[moved["channel"] == "tv", ["cpa_mean", "cpa_hdi_low"]] = [200.0, 150.0]
    result = compare_runs(make_run(tmp_path / "run", channels=moved), base)
    assert "inf" in (tmp_path / "base" / "channels.csv").read_text()
    tv = rows_for(result, "cpa")["tv"]
    assert tv["hdi_overlap"] is True and not tv["drifted"]  # unbounded HDI overlaps
    assert not compare_runs(tmp_path / "base", tmp_path / "base").drifted
    # an infinite CPA mean on one side only is a change; JSON stays valid
    finite = make_run(tmp_path / "finite")
    infinite = channels.copy()
    infinite.loc[infinite["channel"] == "tv", ["cpa_mean", "cpa_hdi_low"]] = [math.inf, 500.0]
    result = compare_runs(make_run(tmp_path / "inf", channels=infinite), finite)
    tv = rows_for(result, "cpa")["tv"]
    assert tv["drifted"] and tv["rel_change"] is None
    payload = json.dumps(result.to_json(), allow_nan=False)
    assert "Infinity" not in payload and "NaN" not in payload


def test_zero_baseline_uses_absolute_difference(tmp_path):
    base = make_run(tmp_path / "base", contributions=contributions_frame(scale={"trend": 0.0}))
    small = contributions_frame(scale={"trend": 0.001})  # 0.05 per date: |diff| <= rtol
    result = compare_runs(make_run(tmp_path / "run", contributions=small), base)
    assert not rows_for(result, "contribution_per_period")["trend"]["drifted"]
    large = contributions_frame(scale={"trend": 0.01})  # 0.5 per date, HDIs apart
    result = compare_runs(make_run(tmp_path / "run2", contributions=large), base)
    assert rows_for(result, "contribution_per_period")["trend"]["drifted"]


def test_target_kind_mismatch_is_usage_error(tmp_path):
    base = make_run(tmp_path / "base")
    roas = channels_frame().rename(columns=lambda c: c.replace("cpa", "roas"))
    run = make_run(tmp_path / "run", channels=roas)
    with pytest.raises(UsageError, match="ROAS"):
        compare_runs(run, base)


def test_failed_status_is_noted(tmp_path):
    base = make_run(tmp_path / "base", status="failed")
    result = compare_runs(make_run(tmp_path / "run"), base)
    assert any("baseline status is 'failed'" in n for n in result.notes)


def test_to_json_names_runs_and_rtol(tmp_path):
    run, base = make_run(tmp_path / "a"), make_run(tmp_path / "b")
    payload = compare_runs(run, base, rtol=0.2).to_json()
    assert payload["run"] == str(run.resolve()) and payload["baseline"] == str(base.resolve())
    assert payload["rtol"] == 0.2 and payload["drifted"] is False
    assert isinstance(payload["rows"], list) and isinstance(payload["notes"], list)


def test_resolve_latest_and_config_runs_folder(tmp_path):
    runs = tmp_path / "runs" / "example"
    run = make_run(runs / "20260101T000000.000000Z")
    (runs / "latest").symlink_to(run.name)
    assert resolve_run(run) == run.resolve()
    assert resolve_run(runs / "latest") == run.resolve()
    assert resolve_run(runs) == run.resolve()
    assert not compare_runs(runs, runs / "latest").drifted


def test_resolve_rejects_non_runs(tmp_path):
    empty = tmp_path / "runs" / "example"
    empty.mkdir(parents=True)
    with pytest.raises(UsageError, match="not a run folder") as info:
        resolve_run(empty)
    assert str(empty) in str(info.value) and info.value.exit_code == 2
    with pytest.raises(UsageError, match="latest"):
        resolve_run(empty / "latest")
    (empty / "latest").symlink_to("gone")  # dangling link
    with pytest.raises(UsageError, match="latest"):
        resolve_run(empty)
    with pytest.raises(UsageError):
        resolve_run(tmp_path / "does-not-exist")


def test_malformed_channels_csv_is_usage_error(tmp_path):
    base = make_run(tmp_path / "base")
    run = make_run(tmp_path / "run", channels=channels_frame().drop(columns="share_mean"))
    with pytest.raises(UsageError, match="share_mean"):
        compare_runs(run, base)


# ---------------------------------------------------------------- marginal returns, allocations


def with_marginal(frame: pd.DataFrame, mcpa: dict[str, float], width: float = 0.05):
    frame = frame.copy()
    frame["mcpa_mean"] = frame["channel"].map(mcpa)
    frame["mcpa_hdi_low"] = frame["mcpa_mean"] * (1 - width)
    frame["mcpa_hdi_high"] = frame["mcpa_mean"] * (1 + width)
    return frame


def write_allocation(run: Path, recommended: dict[str, float], beside: bool) -> None:
    """An allocation for ``run``: inside it (config block) or in an optimize-* folder beside it."""
    folder = run.parent / f"optimize-{run.name}" if beside else run
    folder.mkdir(exist_ok=True)
    pd.DataFrame(
        {
            "channel": list(recommended),
            "recent_spend": [1000.0] * len(recommended),
            "recommended_spend": list(recommended.values()),
        }
    ).to_csv(folder / "allocation.csv", index=False)
    info = {"request": {"periods": 13}, "source_run": str(run) if beside else None}
    (folder / "optimize.json").write_text(json.dumps(info))


def test_marginal_cpa_drift_is_reported(tmp_path):
    base = make_run(
        tmp_path / "a" / "b", with_marginal(channels_frame(), {"tv": 150, "search": 80})
    )
    cur = make_run(tmp_path / "c" / "r", with_marginal(channels_frame(), {"tv": 300, "search": 80}))
    result = compare_runs(cur, base)
    rows = {(r["quantity"], r["channel_or_component"]): r for r in result.rows}
    assert rows[("mcpa", "tv")]["drifted"] and not rows[("mcpa", "search")]["drifted"]
    assert result.drifted


def test_a_flipped_recommendation_is_drift(tmp_path):
    base = make_run(tmp_path / "a" / "b")
    cur = make_run(tmp_path / "c" / "r")
    write_allocation(base, {"tv": 1500.0, "search": 500.0}, beside=True)
    write_allocation(cur, {"tv": 600.0, "search": 1400.0}, beside=False)
    result = compare_runs(cur, base)
    rows = {(r["quantity"], r["channel_or_component"]): r for r in result.rows}
    assert rows[("allocation_direction", "tv")]["drifted"]
    assert rows[("allocation_direction", "tv")]["direction"] == "up -> down"
    assert rows[("allocation_share", "tv")]["baseline"] == pytest.approx(0.75)
    assert any("flipped" in n for n in result.notes)


def test_a_steady_recommendation_is_not_drift(tmp_path):
    base = make_run(tmp_path / "a" / "b")
    cur = make_run(tmp_path / "c" / "r")
    write_allocation(base, {"tv": 1500.0, "search": 500.0}, beside=False)
    write_allocation(cur, {"tv": 1480.0, "search": 520.0}, beside=False)
    result = compare_runs(cur, base)
    assert not result.drifted, result.rows


def write_loo(run: Path, elpd: list[float], actual: list[float] | None = None) -> None:
    dates = DATES[: len(elpd)]
    pd.DataFrame({"date": dates, "elpd_loo": elpd, "pareto_k": 0.1}).to_csv(
        run / "loo.csv", index=False
    )
    pd.DataFrame({"date": dates, "actual": actual or [1.0] * len(elpd)}).to_csv(
        run / "fit.csv", index=False
    )


def test_elpd_difference_with_its_standard_error(tmp_path):
    base = make_run(tmp_path / "a" / "b")
    cur = make_run(tmp_path / "c" / "r")
    rng = np.random.default_rng(0)
    b = rng.normal(-3, 0.5, 20)
    write_loo(base, list(b))
    write_loo(cur, list(b + 0.5 + rng.normal(0, 0.1, 20)))
    result = compare_runs(cur, base)
    (row,) = [r for r in result.rows if r["quantity"] == "elpd_loo"]
    assert row["difference"] == pytest.approx(row["current"] - row["baseline"])
    assert 8 < row["difference"] < 12 and 0 < row["difference_se"] < 1
    assert not row["drifted"] and any("the run predicts better" in n for n in result.notes)


def test_elpd_is_not_compared_across_different_observations(tmp_path):
    base = make_run(tmp_path / "a" / "b")
    cur = make_run(tmp_path / "c" / "r")
    write_loo(base, [-3.0] * 20)
    write_loo(cur, [-3.0] * 20, actual=[2.0] * 20)
    result = compare_runs(cur, base)
    assert not [r for r in result.rows if r["quantity"] == "elpd_loo"]
    assert any("different observations" in n for n in result.notes)
