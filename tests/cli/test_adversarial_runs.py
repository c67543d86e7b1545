"""Generated cases for what runs do to each other: a refresh's data against its parent's, and
``mmm compare`` of a refit on more data.

* **Refresh data overlap**: the parent is the session's quick fit of the sample data (148
  fitted weeks, the last 8 held out); each example refreshes from it with a window of the same
  data (any start, any end, a holdout of 0 to 13 weeks, some weeks' target revised). ``mmm
  check`` must refuse (exit 2, one line naming the parent and both date ranges) exactly when
  the window's fitted weeks add none to the parent's, and otherwise accept with the overlap
  counted right. Nothing is sampled: the refusal comes before sampling, so each example costs
  one ``check``.
* **Compare on appended data**: run folders of one synthetic world written as a fit writes
  them (controls and trend centred on each run's own fitted weeks, with or without a trace to
  recompute intervals from), the run on more weeks and possibly a later start than the
  baseline: no drift; the same with the control's effect or the trend's slope changed by at
  least a third: that component drifts (and the level it moves with, the intercept), the other
  does not, nor does any channel or the seasonality. Nothing is fitted.

The fast tier runs ``REFRESH_CASES`` and ``COMPARE_CASES`` derandomised examples.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmmcli.analysis.compare import compare_runs
from tests.analysis.test_compare import WEEKS, contributions_frame, make_run, write_trace
from tests.helpers import SAMPLE, example_config, invoke

REFRESH_CASES, COMPARE_CASES = 12, 30
ROWS = 156
PARENT_FITTED = 148  # the session fit: the example config's 8-week holdout


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


# ---------------------------------------------------------------- refresh data overlap


@st.composite
def windows(draw) -> dict:
    """A window of the sample data for a refresh: rows [start, stop), the last ``holdout``
    held out, ``revised`` rows of the shared weeks with another target value."""
    start = draw(st.integers(0, 40))
    # as often inside the parent's fitted weeks as past them
    stop = draw(st.integers(start + 90, PARENT_FITTED) | st.integers(PARENT_FITTED + 1, ROWS))
    holdout = draw(st.sampled_from([0, 0, 4, 8, 13]))
    revised = draw(st.lists(st.integers(start, min(stop, PARENT_FITTED) - 1), max_size=3))
    return {"start": start, "stop": stop, "holdout": holdout, "revised": sorted(set(revised))}


@pytest.fixture(scope="module")
def parent(quick_run) -> dict:
    """The session's quick fit (the parent) and the rows it was fitted on."""
    rows = pd.read_csv(SAMPLE / "weekly.csv")
    return {"run": str(quick_run[1]), "dates": rows["date"].tolist(), "rows": rows}


@_settings(REFRESH_CASES)
@given(window=windows())
def test_a_refresh_is_refused_exactly_when_its_fitted_weeks_add_none(parent, window):
    rows = parent["rows"].copy()
    rows.loc[window["revised"], "conversions"] += 25.0
    frame = rows.iloc[window["start"] : window["stop"]]
    fitted = range(window["start"], window["stop"] - window["holdout"])
    new = sum(1 for i in fitted if i >= PARENT_FITTED)
    shared = len(fitted) - new
    revised = sum(1 for i in window["revised"] if i in fitted)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        frame.to_csv(folder / "data.csv", index=False)
        config = example_config(folder, holdout={"periods": window["holdout"]})
        raw = yaml.safe_load(config.read_text())
        raw["data"]["path"] = str(folder / "data.csv")
        raw["refresh"] = {"from": parent["run"]}
        config.write_text(yaml.safe_dump(raw))
        result = invoke("check", config, "--json")
    payload = json.loads(result.stdout)
    if new == 0:
        assert result.exit_code == 2, payload
        dates = parent["dates"]
        assert payload["error"].startswith(
            f"{config}: refresh.from: {parent['run']} was fitted on "
            f"{dates[0]}..{dates[PARENT_FITTED - 1]} ({PARENT_FITTED} periods) and this run's "
            f"fitted periods, {dates[fitted[0]]}..{dates[fitted[-1]]} ({len(fitted)} periods)"
        )
        assert ("revised target values" in payload["error"]) == (revised > 0)
        held_new = sum(1 for i in range(fitted.stop, window["stop"]) if i >= PARENT_FITTED)
        assert ("later ones are held out" in payload["error"]) == (held_new > 0)
    else:
        assert result.exit_code == 0, payload.get("error")
        periods = payload["refresh"]["periods"]
        counts = (periods["new"]["count"], periods["shared"]["count"])
        assert counts == (new, shared)
        assert periods["revised"]["count"] == revised


# ---------------------------------------------------------------- compare on appended data


@st.composite
def appended(draw) -> dict:
    """A baseline on ``n`` weeks and a run on ``k`` more, starting ``s`` weeks later."""
    n = draw(st.integers(12, 22))
    s = draw(st.integers(0, 4))
    k = draw(st.integers(1, len(WEEKS) - n))
    nonzero = st.floats(0.5, 50.0) | st.floats(-50.0, -0.5)
    return {
        "base": WEEKS[:n],
        "run": WEEKS[s : n + k],
        "slope": draw(nonzero),
        "beta": draw(nonzero),
        "trace": draw(st.booleans()),
        "change": draw(st.sampled_from([None, "price", "trend"])),
        "factor": draw(st.sampled_from([0.3, 0.5, 1.6, 2.0, -1.0])),
        "seed": draw(st.integers(0, 2**16)),
    }


def _run(folder: Path, dates: list[str], slope: float, beta: float, trace: bool, seed: int):
    frame = contributions_frame(dates=dates, slope=slope, beta=beta)
    run = make_run(folder, contributions=frame, effects={"price_coef": beta, "trend_slope": slope})
    if trace:  # draws whose 94% HDI is about the ±5% the CSVs carry
        rng = np.random.default_rng(seed)
        sd = 0.05 / 1.88
        coef = rng.normal(beta, sd * abs(beta), 2000)
        write_trace(run, dates, coef, rng.normal(slope, sd * abs(slope), 2000))
    return run


@_settings(COMPARE_CASES)
@given(case=appended())
def test_compare_on_appended_data_drifts_only_on_a_real_change(case):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        slope, beta = case["slope"], case["beta"]
        base = _run(folder / "base", case["base"], slope, beta, case["trace"], case["seed"])
        if case["change"] == "price":
            beta *= case["factor"]
        elif case["change"] == "trend":
            slope *= case["factor"]
        run = _run(folder / "run", case["run"], slope, beta, case["trace"], case["seed"] + 1)
        result = compare_runs(run, base)
    drifted = {r["channel_or_component"] for r in result.rows if r["drifted"]}
    if case["change"] is None:
        assert not drifted, [r for r in result.rows if r["drifted"]]
    else:  # the world's level at the shared weeks moves with it: the intercept may drift too
        assert case["change"] in drifted and drifted <= {case["change"], "intercept"}, drifted
