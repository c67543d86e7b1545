"""`mmm check`: the plan without sampling, as text or JSON; bad input exits 2."""

from __future__ import annotations

import json
import time

from tests.helpers import CALIBRATED, EXAMPLE, edit_config, example_config, invoke, run_mmm


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
