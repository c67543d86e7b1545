"""The batch's pure parts and its refusals before anything runs (no sampler, no process)."""

from __future__ import annotations

import json

import pytest

from mmmcli.errors import UsageError
from mmmcli.workflows.batch import PRECEDENCE, _screen, expand, plan, worst
from tests.helpers import example_config, invoke


def test_exit_code_is_the_most_severe_by_the_documented_order():
    assert worst([]) == 0
    assert worst([0, 4, 0]) == 4
    assert worst([4, 75, 0]) == 75
    assert worst([75, 3]) == 3
    assert worst([3, 2, 75]) == 2
    assert worst([2, 1]) == 1
    assert worst([1, 130, 0]) == 130
    assert worst([5]) == 1  # an unknown code counts as an internal error
    assert PRECEDENCE == (130, 143, 1, 74, 73, 2, 3, 75, 4, 0)


def test_configs_from_files_and_folders(tmp_path):
    folder = tmp_path / "configs"
    folder.mkdir()
    for name in ("b.yaml", "a.yml", ".hidden.yaml", "notes.txt"):
        (folder / name).write_text("name: x\n")
    (folder / "sub").mkdir()
    one = tmp_path / "one.yaml"
    one.write_text("name: y\n")
    found = expand([one, folder, folder / "b.yaml"])
    assert [p.name for p in found] == ["one.yaml", "a.yml", "b.yaml"]  # each once, sorted
    with pytest.raises(UsageError, match="no such config file or folder"):
        expand([tmp_path / "missing.yaml"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="a folder without"):
        expand([tmp_path / "empty"])


def test_default_plan_shares_the_cores():
    assert plan(8, chains=4, jobs=None, cores=2) == (2, 1)
    assert plan(8, chains=4, jobs=None, cores=16) == (8, 2)  # no more fits than configs
    assert plan(1, chains=4, jobs=None, cores=2) == (1, 2)
    assert plan(8, chains=4, jobs=1, cores=2) == (1, 2)
    with pytest.raises(UsageError, match="--jobs"):
        plan(8, chains=4, jobs=0, cores=2)


def test_two_configs_writing_one_runs_folder_refuse_the_batch(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = example_config(tmp_path / "a")
    second = example_config(tmp_path / "b", output={"dir": str(tmp_path / "a" / "runs")})
    with pytest.raises(UsageError, match="give each config its own name or output.dir"):
        _screen([first, second], None)
    # apart in their configs, together under one --out: refused as well
    third = example_config(tmp_path / "b", name="example", output={"dir": str(tmp_path / "c")})
    assert _screen([first, third], None) == [first, third]
    with pytest.raises(UsageError, match="or fit them without --out; nothing was fitted"):
        _screen([first, third], tmp_path / "shared")


def test_a_clash_anywhere_in_the_batch_fits_nothing(tmp_path):
    """The README's promise: refused before anything runs (it used to fit the first config and
    refuse only the second). Stopped at the sampler, so a fit that starts would be seen."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = example_config(tmp_path / "a")
    second = example_config(tmp_path / "b", output={"dir": str(tmp_path / "a" / "runs")})
    for args in ([first, second], [tmp_path / "a", tmp_path / "b"]):
        result = invoke("fit", *args, "--quick", "--json")
        assert result.exit_code == 2, result.output
        assert "nothing was fitted" in json.loads(result.stdout)["error"]
        assert not (tmp_path / "a" / "runs").exists()


def test_batch_refusals_before_any_fit(tmp_path):
    config = example_config(tmp_path)
    result = invoke("fit", config, config, "--refresh-from", tmp_path, "--json")
    assert result.exit_code == 2
    assert "--refresh-from" in result.stdout
    result = invoke("fit", tmp_path, "--cores", "2")
    assert result.exit_code == 2 and "--cores" in result.stderr
    result = invoke("fit", config, tmp_path / "nope.yaml")
    assert result.exit_code == 2 and "nope.yaml: no such config file or folder" in result.stderr
    assert not (tmp_path / "runs").exists()


def test_scheduler_addresses_refused_quickly(tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    import socket
    import threading
    import time

    config = example_config(tmp_path)
    result = invoke("fit", config, config, "--scheduler", "not an address")
    assert result.exit_code == 2 and "--scheduler" in result.stderr
    result = invoke("fit", tmp_path, "--jobs", "2", "--scheduler", "tcp://127.0.0.1:1")
    assert result.exit_code == 2 and "--jobs" in result.stderr
    # a port that accepts connections and never speaks Dask: exit 75 within the deadline
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    monkeypatch.setenv("MMM_CONNECT_TIMEOUT", "2")
    t = time.monotonic()
    address = f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    result = invoke("fit", config, "--scheduler", address, "--json")
    assert result.exit_code == 75, result.stdout
    assert time.monotonic() - t < 20
    listener.close()
    assert not (tmp_path / "runs").exists()
    # a port nothing listens on: refused at once, not after the 30 s default deadline
    monkeypatch.delenv("MMM_CONNECT_TIMEOUT")
    t = time.monotonic()
    result = invoke("fit", config, "--scheduler", address, "--json")
    assert result.exit_code == 75 and "connection refused" in json.loads(result.stdout)["error"]
    assert time.monotonic() - t < 5
