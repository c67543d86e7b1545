"""`mmm check`: the plan without sampling, as text or JSON; bad input exits 2."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.helpers import (
    CALIBRATED,
    EXAMPLE,
    edit_config,
    example_config,
    invoke,
    run_mmm,
    synthetic_config,
)


def test_check_prints_plan_and_is_fast():
    """Timed from a cold start, as a user runs it, in its own process (which ends through
    ``main``'s ``os._exit``, so the plan on stderr must have been flushed first)."""
    start = time.perf_counter()
    proc = run_mmm("check", str(CALIBRATED))
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr
    for text in ("valid", "W-MON", "tv_coef", "0.950", "uplift_tv.csv", "nutpie", "lift_test"):
        assert text in proc.stderr, text
    assert elapsed < 30


def test_check_json():
    result = invoke("check", EXAMPLE, "--json")
    assert result.exit_code == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["status"] == "ok" and plan["data"]["rows"] == 156
    assert plan["data"]["fitted_rows"] == 148
    assert [c["channel"] for c in plan["channels"]] == ["tv", "radio", "social", "search"]
    tv = next(p for p in plan["priors"] if p["parameter"] == "tv_coef")
    assert tv["source"] == "bounds" and abs(tv["achieved_mass"] - 0.95) < 0.01


def test_check_bad_input_exits_2_with_json(tmp_path):
    path = example_config(tmp_path, sampler={"chains": 0})
    result = invoke("check", path, "--json")
    assert result.exit_code == 2
    payload = json.loads(result.stdout)
    assert payload["exit_code"] == 2 and "sampler.chains" in payload["error"]
    assert len(result.stderr.strip().splitlines()) == 1


def test_check_refuses_unwritable_runs_folder(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    path = edit_config(
        example_config(tmp_path), lambda raw: raw.update(output={"dir": str(blocker / "runs")})
    )
    result = invoke("check", path)
    assert result.exit_code == 2 and "cannot write the runs folder" in result.stderr


# ---------------------------------------------------------------- data screening


def _screened_project(folder) -> Path:
    """48 weeks: tv and radio move together, sponsor is flat, promo spends twice (so little),
    podcast is a sliver; 5 channels x 3 parameters + intercept + sigma = 17 > 48 / 3."""
    rng = np.random.default_rng(5)
    n = 48
    tv = rng.gamma(4.0, 5000.0, n)
    promo = np.zeros(n)
    promo[[12, 40]] = 3000.0
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2024-01-01", periods=n, freq="W-MON").strftime("%Y-%m-%d"),
            "y": 500 + rng.normal(0, 10, n),
            "tv": tv,
            "radio": 0.3 * tv * rng.normal(1.0, 0.1, n),
            "sponsor": 8000 * (1 + rng.normal(0, 0.01, n)),
            "promo": promo,
            "podcast": rng.gamma(4.0, 20.0, n),
        }
    )
    frame.to_csv(folder / "data.csv", index=False)
    curves = {"adstock": {"type": "geometric", "max_lag": 4}, "saturation": {"type": "logistic"}}
    channels = {c: {"spend": c, **curves} for c in ("tv", "radio", "sponsor", "promo", "podcast")}
    return synthetic_config(folder, "screened", channels, {"chains": 2})


def test_check_warns_about_what_the_data_cannot_support(tmp_path):
    path = _screened_project(tmp_path)
    result = invoke("check", path, "--json")
    assert result.exit_code == 0, result.stderr  # warnings never change the exit code
    plan = json.loads(result.stdout)
    kinds = {(f["kind"], tuple(f["channels"])) for f in plan["screening"]}
    assert kinds == {
        ("correlated", ("tv", "radio")),
        ("flat", ("sponsor",)),
        ("sparse", ("promo",)),
        ("small", ("promo",)),
        ("small", ("podcast",)),
        ("parameters", ()),
    }
    frame = pd.read_csv(tmp_path / "data.csv")
    r = np.corrcoef(frame["tv"], frame["radio"])[0, 1]
    correlated = next(f for f in plan["screening"] if f["kind"] == "correlated")
    assert correlated["value"] == pytest.approx(r)
    assert f"tv and radio spend correlate at {r:.2f}" in correlated["message"]
    params = next(f for f in plan["screening"] if f["kind"] == "parameters")
    assert params["value"] == 17
    assert [f["message"] for f in plan["screening"]] == plan["warnings"]

    human = invoke("check", path)
    assert human.exit_code == 0
    text = " ".join(human.stderr.split())  # rich wraps long lines
    for f in plan["screening"]:
        assert f"warning: {f['message']}" in text


def test_check_of_the_example_has_no_data_warnings():
    plan = json.loads(invoke("check", EXAMPLE, "--json").stdout)
    assert plan["screening"] == [] and plan["warnings"] == []
