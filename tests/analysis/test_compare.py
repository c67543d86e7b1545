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

WEEKS = [d.strftime("%Y-%m-%d") for d in pd.date_range("2024-01-01", periods=40, freq="W-MON")]
DATES = WEEKS[:20]
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


def world(dates=DATES, slope: float = 2.0, beta: float = 30.0) -> dict[str, np.ndarray]:
    """Per-date components as a fit reports them: channels, seasonality and the level are
    absolute; the price control and the trend are centred on the run's own ``dates`` (as the
    model centres them), the intercept holding the level at their means."""
    i = np.array([WEEKS.index(d) for d in dates], dtype=float)
    price = np.sin(i)  # the control's value on each date: the same in every run
    out = {name: np.full(len(dates), 50.0) for name in (*CHANNELS, "seasonality")}
    out["trend"] = slope * (i - i.mean())
    out["price"] = beta * (price - price.mean())
    out["intercept"] = np.full(len(dates), 50.0 + slope * i.mean() + beta * price.mean())
    return out


def contributions_frame(
    components=(*CHANNELS, *CONTROLS),
    dates=DATES,
    scale: dict[str, float] | None = None,
    slope: float = 2.0,
    beta: float = 30.0,
) -> pd.DataFrame:
    """contributions.csv of ``world`` (each component times ``scale[component]``), HDI ±5%."""
    scale = scale or {}
    values = world(dates, slope, beta)
    rows = []
    for component in components:
        for date, value in zip(dates, values.get(component, values["tv"]), strict=True):
            mean = value * scale.get(component, 1.0)
            rows.append(
                {
                    "date": date,
                    "component": component,
                    "mean": mean,
                    "hdi_low": mean - 0.05 * abs(mean),
                    "hdi_high": mean + 0.05 * abs(mean),
                }
            )
    return pd.DataFrame(rows)


def make_run(
    folder: Path,
    channels: pd.DataFrame | None = None,
    contributions: pd.DataFrame | None = None,
    r2: float = 0.9,
    status: str = "passed",
    p_loo: float = 10.0,
    ess: float = 1000.0,
    effects: dict[str, float] | None = None,
) -> Path:
    """Write a minimal run folder and return it; ``effects``: posterior means of parameters
    (``price_coef``, ``trend_slope``) for ``posterior_summary.csv``, HDIs ±5%."""
    folder.mkdir(parents=True)
    channels = channels_frame() if channels is None else channels
    contributions = contributions_frame() if contributions is None else contributions
    channels.to_csv(folder / "channels.csv", index=False)
    contributions.to_csv(folder / "contributions.csv", index=False)
    fit = {"r2": r2, "mape": 0.05, "smape": 0.05, "nrmse": None, "rmse": 3.0, "n": 20}
    loo = {"elpd_loo": -60.0, "se": 3.0, "p_loo": p_loo}
    (folder / "metrics.json").write_text(
        json.dumps({"in_sample": fit, "holdout": None, "loo": loo})
    )
    (folder / "diagnostics.json").write_text(json.dumps({"min_ess_bulk": ess}))
    dates = sorted(contributions["date"])
    manifest = {"status": status, "data": {"start": dates[0], "end": dates[-1]}}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    effects = {"price_coef": 30.0, "trend_slope": 2.0} if effects is None else effects
    pd.DataFrame(
        {
            "parameter": list(effects),
            "mean": list(effects.values()),
            "hdi94_lb": [v - 0.05 * abs(v) for v in effects.values()],
            "hdi94_ub": [v + 0.05 * abs(v) for v in effects.values()],
        }
    ).to_csv(folder / "posterior_summary.csv", index=False)
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
    contributions = contributions_frame(slope=4.0)  # the trend's slope doubled
    few = contributions_frame()
    doubled = (few["component"] == "tv") & few["date"].isin(DATES[:2])
    few.loc[doubled, ["mean", "hdi_low", "hdi_high"]] *= 2
    result = compare_runs(make_run(tmp_path / "run", contributions=contributions), base)
    trend = rows_for(result, "contribution_per_period")["trend"]
    assert trend["dates_drifted"] == "20/20" and trend["drifted"]
    assert result.drifted
    # 2 of 20 dates drifted (10%, not more than 10%): no drift
    result = compare_runs(make_run(tmp_path / "run2", contributions=few), base)
    tv = rows_for(result, "contribution_per_period")["tv"]
    assert tv["dates_drifted"] == "2/20" and not tv["drifted"]


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
    base = make_run(
        tmp_path / "base", contributions=contributions_frame(scale={"seasonality": 0.0})
    )
    small = contributions_frame(scale={"seasonality": 0.001})  # 0.05 per date: |diff| <= rtol
    result = compare_runs(make_run(tmp_path / "run", contributions=small), base)
    assert not rows_for(result, "contribution_per_period")["seasonality"]["drifted"]
    large = contributions_frame(scale={"seasonality": 0.01})  # 0.5 per date, HDIs apart
    result = compare_runs(make_run(tmp_path / "run2", contributions=large), base)
    assert rows_for(result, "contribution_per_period")["seasonality"]["drifted"]


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


# ------------------------------------------- appended data: controls and trend on one reference


def test_appended_weeks_of_the_same_world_do_not_drift(tmp_path):
    """The weekly refit: 13 more weeks of the same world. Each run centres price and the trend
    on its own fitted weeks (the intercept holds the level at their means), so their raw
    per-period contributions differ by a constant; on the shared weeks' reference they agree."""
    base = make_run(tmp_path / "base", contributions=contributions_frame(dates=WEEKS[:20]))
    run = make_run(tmp_path / "run", contributions=contributions_frame(dates=WEEKS[:33]))
    result = compare_runs(run, base)
    assert not result.drifted, [r for r in result.rows if r["drifted"]]
    periods = rows_for(result, "contribution_per_period")
    for name in ("price", "trend", "intercept", "seasonality", "tv"):
        assert periods[name]["dates_drifted"] == "0/20", name
    assert periods["trend"]["baseline"] == pytest.approx(periods["trend"]["current"])
    assert periods["trend"]["baseline"] == pytest.approx(2.0 * 100)  # sum of |slope (i - 9.5)|
    assert rows_for(result, "control_coefficient")["price"]["rel_change"] == 0.0
    assert rows_for(result, "trend_slope")["trend"]["rel_change"] == 0.0
    assert any(
        "control price and the trend are centred" in n and "20 shared" in n for n in result.notes
    )


def test_a_changed_control_effect_or_trend_still_drifts(tmp_path):
    base = make_run(tmp_path / "base", contributions=contributions_frame(dates=WEEKS[:20]))
    changed = contributions_frame(dates=WEEKS[:33], beta=60.0)  # price matters twice as much
    run = make_run(tmp_path / "run", contributions=changed, effects={"price_coef": 60.0})
    result = compare_runs(run, base)
    assert result.drifted
    assert rows_for(result, "contribution_per_period")["price"]["drifted"]
    assert rows_for(result, "control_coefficient")["price"]["drifted"]
    assert not rows_for(result, "contribution_per_period")["trend"]["drifted"]
    steeper = contributions_frame(dates=WEEKS[:33], slope=3.0)
    run = make_run(tmp_path / "run2", contributions=steeper, effects={"trend_slope": 3.0})
    result = compare_runs(run, base)
    assert rows_for(result, "contribution_per_period")["trend"]["drifted"]
    assert rows_for(result, "trend_slope")["trend"]["drifted"]
    assert not rows_for(result, "contribution_per_period")["price"]["drifted"]


def test_a_moved_level_drifts_in_the_intercept(tmp_path):
    base = make_run(tmp_path / "base", contributions=contributions_frame(dates=WEEKS[:20]))
    higher = contributions_frame(dates=WEEKS[:33], scale={"intercept": 1.5})
    result = compare_runs(make_run(tmp_path / "run", contributions=higher), base)
    assert rows_for(result, "contribution_per_period")["intercept"]["drifted"]


def write_trace(run: Path, dates: list[str], coef: np.ndarray, slope: np.ndarray) -> None:
    """trace.nc with price_coef and trend_slope draws and the centred data they multiply."""
    import xarray as xr

    i = np.array([WEEKS.index(d) for d in dates], dtype=float)
    price = np.sin(i)
    when = pd.DatetimeIndex(dates)
    tree = xr.DataTree.from_dict(
        {
            "posterior": xr.Dataset(
                {
                    "price_coef": (("chain", "draw"), coef.reshape(2, -1)),
                    "trend_slope": (("chain", "draw"), slope.reshape(2, -1)),
                }
            ),
            "constant_data": xr.Dataset(
                {
                    "controls": (("date", "control"), (price - price.mean())[:, None]),
                    "t": (("date",), i - i.mean()),
                },
                coords={"date": when, "control": ["price"]},
            ),
        }
    )
    tree.to_netcdf(run / "trace.nc", engine="h5netcdf")


def test_recentred_intervals_come_from_the_draws(tmp_path):
    """With a trace, a re-centred control's interval is the HDI of coefficient x (control -
    its mean over the shared dates) per draw: near that mean it is narrow, not the width of
    the run's own interval."""
    from mmmcli.analysis.periods import recentred
    from mmmcli.analysis.run_files import load_run

    rng = np.random.default_rng(1)
    run = make_run(tmp_path / "run", contributions=contributions_frame(dates=WEEKS[:33]))
    coef, slope = rng.normal(30.0, 3.0, 2000), rng.normal(2.0, 0.1, 2000)
    write_trace(run, WEEKS[:33], coef, slope)
    frame = recentred(load_run(run.resolve()), WEEKS[:20], ["price", "trend"])
    price = frame[frame["component"] == "price"].set_index("date")
    x = np.sin(np.arange(20.0))
    x -= x.mean()
    for k, date in enumerate(WEEKS[:20]):
        values = np.sort(coef * x[k])
        low, high = price.loc[date, ["hdi_low", "hdi_high"]]
        inside = np.mean((values >= low - 1e-9) & (values <= high + 1e-9))
        assert inside == pytest.approx(0.94, abs=0.01)
        assert price.loc[date, "mean"] == pytest.approx(30.0 * x[k])
    # the intercept holds what was removed, widened by its interval
    level = frame[frame["component"] == "intercept"]["mean"].iloc[0]
    world_level = 50.0 + 2.0 * 9.5 + 30.0 * np.sin(np.arange(20.0)).mean()
    assert level == pytest.approx(world_level)


# ---------------------------------------------------------------- ELPD: noise is not a better model


def test_an_elpd_difference_within_monte_carlo_error_is_no_difference(tmp_path):
    """The issue's case: +0.3 with se 0.1 was read as "the run predicts better"."""
    base = make_run(tmp_path / "a" / "b", ess=400.0, p_loo=17.0)
    cur = make_run(tmp_path / "c" / "r", ess=1600.0, p_loo=17.0)
    b = np.random.default_rng(0).normal(-3, 0.5, 20)
    write_loo(base, list(b))
    write_loo(cur, list(b + 0.015 + np.random.default_rng(1).normal(0, 0.005, 20)))
    result = compare_runs(cur, base)
    (row,) = [r for r in result.rows if r["quantity"] == "elpd_loo"]
    assert row["difference"] == pytest.approx(0.3, abs=0.05) and row["difference_se"] < 0.15
    # sqrt(p_loo / min ESS) per run, combined: sqrt(17 / 400 + 17 / 1600) = 0.23
    assert row["difference_mcse"] == pytest.approx(np.sqrt(17 / 400 + 17 / 1600))
    (note,) = [n for n in result.notes if n.startswith("ELPD-LOO difference")]
    assert "no difference" in note and "predicts better" not in note


@pytest.mark.parametrize(
    ("shift", "ess", "said"),
    [
        (0.5, 1000.0, "the run predicts better"),  # +10 over 20 periods: large against all
        (0.15, 1000.0, "|difference| < 4"),  # +3: small
        (0.5, 2.0, "Monte Carlo error"),  # +10, but a run worth 2 draws: noise could do it
    ],
)
def test_elpd_verdict_needs_size_se_and_monte_carlo_error(tmp_path, shift, ess, said):
    base = make_run(tmp_path / "a" / "b", ess=ess)
    cur = make_run(tmp_path / "c" / "r", ess=ess)
    b = np.random.default_rng(0).normal(-3, 0.5, 20)
    write_loo(base, list(b))
    write_loo(cur, list(b + shift + np.random.default_rng(1).normal(0, 0.01, 20)))
    (note,) = [n for n in compare_runs(cur, base).notes if n.startswith("ELPD-LOO difference")]
    assert said in note


def test_the_same_model_twice_is_no_difference_whatever_the_size(tmp_path):
    base = make_run(tmp_path / "a" / "b")
    cur = make_run(tmp_path / "c" / "r")
    for run, draws, sha in ((base, 1000, "abc"), (cur, 250, "abc")):
        config = {"name": "x", "trend": {"type": "linear"}, "sampler": {"draws": draws}}
        (run / "config.resolved.yaml").write_text(json.dumps(config))
        manifest = json.loads((run / "manifest.json").read_text())
        manifest["data"]["sha256"] = sha
        (run / "manifest.json").write_text(json.dumps(manifest))
    b = np.random.default_rng(0).normal(-3, 0.5, 20)
    write_loo(base, list(b))
    write_loo(cur, list(b + 0.5))
    (note,) = [n for n in compare_runs(cur, base).notes if n.startswith("ELPD-LOO difference")]
    assert "the same model fitted to the same data: it is Monte Carlo noise" in note


# ------------------------------------------------- allocations: only answers to the same request


def optimize_folder(run: Path, stamp: str, recommended: dict[str, float], **request) -> Path:
    """An ``optimize-<stamp>`` folder beside ``run``, made from it, answering ``request``."""
    folder = run.parent / f"optimize-{stamp}"
    folder.mkdir()
    pd.DataFrame(
        {
            "channel": list(recommended),
            "recent_spend": [1000.0] * len(recommended),
            "recommended_spend": list(recommended.values()),
        }
    ).to_csv(folder / "allocation.csv", index=False)
    info = {"request": {"periods": 13, **request}, "source_run": str(run)}
    (folder / "optimize.json").write_text(json.dumps(info))
    return folder


def test_an_exploratory_optimize_does_not_change_compare(tmp_path):
    """Two identical fits, each optimized for 13 periods; then someone explores a budget of
    500 on the run: its newest optimize-* folder answers another question."""
    base = make_run(tmp_path / "a" / "b")
    cur = make_run(tmp_path / "c" / "r")
    optimize_folder(base, "20260101T000000.000000Z", {"tv": 1500.0, "search": 500.0})
    optimize_folder(cur, "20260101T000000.000000Z", {"tv": 1500.0, "search": 500.0})
    optimize_folder(cur, "20260102T000000.000000Z", {"tv": 100.0, "search": 400.0}, budget=500)
    result = compare_runs(cur, base)
    assert not result.drifted, [r for r in result.rows if r["drifted"]]
    assert rows_for(result, "allocation_direction")["tv"]["direction"] == "up -> up"
    assert any(
        "compared for the request the recent budget over 13 periods" in n for n in result.notes
    )


def test_allocations_answering_different_requests_are_not_compared(tmp_path):
    base = make_run(tmp_path / "a" / "b")
    cur = make_run(tmp_path / "c" / "r")
    optimize_folder(base, "20260101T000000.000000Z", {"tv": 1500.0, "search": 500.0})
    optimize_folder(cur, "20260101T000000.000000Z", {"tv": 100.0, "search": 400.0}, budget=500)
    result = compare_runs(cur, base)
    assert not result.drifted
    assert not rows_for(result, "allocation_direction")
    (note,) = [n for n in result.notes if n.startswith("allocations not compared")]
    assert "run: budget 500 over 13 periods (flat)" in note
    assert "baseline: the recent budget over 13 periods (flat)" in note


@pytest.mark.parametrize(
    ("name", "content", "refused"),
    [
        ("posterior_summary.csv", b"parameter,mean\nprice_coef,abc\n", True),
        ("diagnostics.json", b"{not json", True),
        ("trace.nc", b"\x89HDF garbage", False),  # only refines intervals: they move instead
        ("config.resolved.yaml", b"a: [unclosed", False),  # only refines the ELPD verdict
    ],
)
def test_the_files_compare_now_reads_damaged(tmp_path, name, content, refused):
    base = make_run(tmp_path / "base", contributions=contributions_frame(dates=WEEKS[:20]))
    run = make_run(tmp_path / "run", contributions=contributions_frame(dates=WEEKS[:30]))
    (run / name).write_bytes(content)
    if refused:
        with pytest.raises(UsageError, match=name):
            compare_runs(run, base)
    else:
        assert not compare_runs(run, base).drifted
