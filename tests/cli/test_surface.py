"""The command line in one style (issue 32, "one pass over the command-line surface"): help that
shows what to type, one phrasing per kind of error, and the same ``--json`` behaviour for every
command (the human account on stderr unless ``--quiet``, one object on stdout with ``command``,
``status`` and ``exit_code``)."""

from __future__ import annotations

import json
import re

import pytest

from mmmcli.cli.commands import COMMANDS, run
from tests.helpers import EXAMPLE, invoke

HELP = [*COMMANDS, "report", "track"]


def _run(capsys, *args) -> tuple[int, str, str]:
    """``mmm ARGS`` through the entry point's own error handling (``invoke`` skips it)."""
    code = run([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("command", [None, *HELP])
def test_help_shows_what_to_type(capsys, command):
    args = ["--help"] if command is None else [command, "--help"]
    code, text, _ = _run(capsys, *args)
    assert code == 0
    assert "<bool>" not in text and "<list[" not in text and "<path>" not in text
    usage = re.search(r"Usage: mmm (.*)", text).group(1)
    assert not re.search(r"\{[a-z_]+\}", usage), usage  # RUN, not {run}
    assert "...}..." not in usage and "......" not in usage


@pytest.mark.parametrize(
    "args, message",
    [
        (["validate", EXAMPLE, "--folds", "0"], "--folds: must be >= 1, got 0"),
        (["validate", EXAMPLE, "--folds", "abc"], "--folds: must be a whole number, got abc"),
        (["fit", EXAMPLE, "--draws", "x"], "--draws: must be a whole number, got x"),
        (["fit", EXAMPLE, "--quik"], "--quik: no such option (did you mean "),
        (["compare"], "RUN: required argument is missing"),
        (["optimize", EXAMPLE, "--quantile", "q"], "--quantile: must be a number, got q"),
    ],
)
def test_a_command_line_error_reads_like_any_other(capsys, args, message):
    code, out, err = _run(capsys, *args, "--json")
    assert code == 2
    line = " ".join(err.split())
    assert line.startswith(f"error: {message}"), line
    assert len(err.strip().splitlines()) == 1
    payload = json.loads(out)
    assert payload["status"] == "error" and payload["error"].startswith(message)


def test_paths_under_the_working_directory_are_shown_relative(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text("name: x\n")
    by_name = invoke("check", "c.yaml").stderr
    by_full_path = invoke("check", tmp_path / "c.yaml").stderr
    assert by_name == by_full_path
    assert by_name.startswith("error: c.yaml: data: required key is missing")


def test_json_keeps_the_human_account_on_stderr(quick_run):
    """``--json`` adds the object on stdout; it used to silence stderr for some commands."""
    _, run = quick_run
    for args, said in (
        (["report", run], "Report: "),
        (["compare", run, run], "drift"),
        (["check", EXAMPLE], "sampler:"),
    ):
        loud = invoke(*args, "--json")
        payload = json.loads(loud.stdout)
        assert {"command", "status", "exit_code"} <= set(payload), args
        assert said in loud.stderr.lower() or said in loud.stderr, (args, loud.stderr)
        quiet = invoke(*args, "--json", "--quiet")
        assert quiet.stderr == "" and json.loads(quiet.stdout)["status"] == payload["status"]
