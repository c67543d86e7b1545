"""Operations: check, init, schema, --json, --if-changed, locking, interrupts, reproducibility."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from mmmcli.errors import LockedError
from mmmcli.runs.fingerprint import input_hashes
from mmmcli.runs.folder import RunLock
from mmmcli.spec.config import load_config
from tests.conftest import EXAMPLE, ROOT, SAMPLE, run_mmm, write_config


def _run_dirs(parent: Path) -> list[Path]:
    if not parent.exists():
        return []
    return [p for p in parent.iterdir() if not p.name.startswith(".") and p.name != "latest"]


def test_check_prints_plan_and_is_fast():
    start = time.perf_counter()
    proc = run_mmm("check", "configs/calibrated.yaml")
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr
    for text in ("valid", "W-MON", "tv_coef", "0.950", "uplift_tv.csv", "nutpie", "lift_test"):
        assert text in proc.stderr, text
    assert elapsed < 30


def test_check_json(tmp_path):
    proc = run_mmm("check", str(EXAMPLE), "--json")
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    assert plan["status"] == "ok" and plan["data"]["rows"] == 156
    assert plan["data"]["fitted_rows"] == 148
    assert [c["channel"] for c in plan["channels"]] == ["tv", "radio", "social", "search"]
    tv = next(p for p in plan["priors"] if p["parameter"] == "tv_coef")
    assert tv["source"] == "bounds" and abs(tv["achieved_mass"] - 0.95) < 0.01


def test_check_bad_input_exits_2_with_json(tmp_path):
    path = write_config(tmp_path, sampler={"chains": 0})
    proc = run_mmm("check", str(path), "--json")
    assert proc.returncode == 2
    result = json.loads(proc.stdout)
    assert result["exit_code"] == 2 and "sampler.chains" in result["error"]
    assert len(proc.stderr.strip().splitlines()) == 1


def test_schema_is_json_schema_with_priors():
    proc = run_mmm("schema")
    assert proc.returncode == 0
    schema = json.loads(proc.stdout)
    assert "channels" in schema["properties"]
    prior = schema["$defs"]["Prior"]
    titles = {v["title"] for v in prior["oneOf"]}
    assert {"Gamma", "HalfNormal", "bounds"} <= titles


def test_init_scaffolds_a_valid_project(tmp_path):
    proc = run_mmm("init", str(tmp_path / "proj"))
    assert proc.returncode == 0, proc.stderr
    config = tmp_path / "proj" / "mmm.yaml"
    assert config.is_file()
    check = run_mmm("check", str(config))
    assert check.returncode == 0, check.stderr
    again = run_mmm("init", str(tmp_path / "proj"))
    assert again.returncode == 2 and "already exists" in again.stderr


def test_bundled_sample_is_what_its_generator_writes(tmp_path):
    from mmmsim import sample

    frame, truth = sample.simulate(156, 20261127)
    assert frame.to_csv(index=False) == (SAMPLE / "weekly.csv").read_text()


def test_fingerprint_covers_inputs_and_options(tmp_path):
    path = write_config(tmp_path)
    cfg = load_config(path)
    base = input_hashes(cfg, {}, "1")["fingerprint"]
    assert input_hashes(cfg, {}, "1")["fingerprint"] == base
    assert input_hashes(cfg, {"seed": 3}, "1")["fingerprint"] != base
    assert input_hashes(cfg, {}, "2")["fingerprint"] != base
    raw = yaml.safe_load(path.read_text())
    data = tmp_path / "data.csv"
    data.write_text((SAMPLE / "weekly.csv").read_text() + "\n")
    raw["data"]["path"] = str(data)
    path.write_text(yaml.safe_dump(raw))
    assert input_hashes(load_config(path), {}, "1")["fingerprint"] != base


def test_lock_refuses_second_run_and_is_released(tmp_path):
    path = write_config(tmp_path)
    parent = tmp_path / "runs" / "example"
    with RunLock(parent, "example"):
        proc = run_mmm("fit", str(path), "--quick")
        assert proc.returncode == 75, proc.stderr
        assert "another run of 'example' is in progress" in proc.stderr
        with pytest.raises(LockedError):
            RunLock(parent, "example").__enter__()
    with RunLock(parent, "example"):  # released: taken again at once
        pass
    assert _run_dirs(parent) == []


def test_stale_lock_file_does_not_block(tmp_path):
    parent = tmp_path / "runs" / "example"
    parent.mkdir(parents=True)
    (parent / ".lock").write_text("pid 999999, started long ago\n")
    (parent / ".tmp-20200101T000000.000000Z-999999").mkdir()  # a SIGKILLed run's leftovers
    with RunLock(parent, "example"):
        pass
    assert not (parent / ".tmp-20200101T000000.000000Z-999999").exists()


@pytest.mark.parametrize(
    "signum, code, delay",
    [(signal.SIGTERM, 143, 1.0), (signal.SIGINT, 130, 6.0), (signal.SIGTERM, 143, 6.0)],
    ids=["term-while-compiling", "int-while-sampling", "term-while-sampling"],
)
def test_interrupt_leaves_no_run_folder_and_no_lock(tmp_path, signum, code, delay):
    path = write_config(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "mmmcli", "fit", str(path), "--engine", "pymc"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for line in proc.stderr:  # the header line is printed just before sampling starts
        if "periods" in line:
            break
    time.sleep(delay)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert "interrupted" in err and "Traceback" not in err
    parent = tmp_path / "runs" / "example"
    assert _run_dirs(parent) == []
    assert not list(parent.glob(".tmp-*"))
    with RunLock(parent, "example"):
        pass


def test_json_fit_if_changed_and_reproducible(tmp_path, quick_run):
    """--json result object; --if-changed skips; the same seed gives an identical summary."""
    path = write_config(tmp_path)
    args = ["fit", str(path), "--quick", "--json"]
    first = run_mmm(*args)
    assert first.returncode == 0, first.stderr
    result = json.loads(first.stdout)
    assert result["status"] == "unchecked" and result["skipped"] is False
    assert {c["channel"] for c in result["channels"]} == {"tv", "radio", "social", "search"}
    run_dir = Path(result["run_dir"])

    skipped = run_mmm(*args, "--if-changed")
    assert skipped.returncode == 0, skipped.stderr
    assert json.loads(skipped.stdout)["skipped"] is True
    assert "Unchanged" in skipped.stderr
    assert len(_run_dirs(run_dir.parent)) == 1

    # the session's quick run: same config, data and seed, another process and folder
    _, other = quick_run
    assert (run_dir / "posterior_summary.csv").read_bytes() == (
        other / "posterior_summary.csv"
    ).read_bytes()


def test_quiet_prints_nothing_on_success(tmp_path):
    path = write_config(tmp_path)
    first = run_mmm("fit", str(path), "--quick", "--quiet")
    assert first.returncode == 0
    assert first.stderr.strip() == "" and first.stdout.strip() == ""
