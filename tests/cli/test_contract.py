"""The CLI's contract on the cases found by hand (the generated suite is test_adversarial.py):
each outcome is one line and one exit code, `--json` is one object, nothing is coerced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import mmmcli.workflows.check as check_module
from tests.helpers import EXAMPLE, SAMPLE, edit_config, example_config, invoke, run_mmm


def test_a_key_given_twice_is_an_error_with_both_lines(tmp_path):
    path = example_config(tmp_path)
    path.write_text(path.read_text() + "hdi_prob: 0.9\nhdi_prob: 0.8\n")
    result = invoke("check", path)
    assert result.exit_code == 2
    assert "key 'hdi_prob' appears twice (first on line" in result.stderr


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda c: c["target"].update(column="tv_spend"), "column 'tv_spend' is both"),
        (lambda c: c["controls"]["price"].update(column="conversions"), "is both target.column"),
        (
            lambda c: c["channels"]["radio"].update(spend="tv_spend"),
            "column 'tv_spend' is both channels.",
        ),
        (
            lambda c: c["sampler"].update(draws="1000"),
            "sampler.draws: must be a whole number, got '1000'",
        ),
        (
            lambda c: c["sampler"].update(chains=4.0),
            "sampler.chains: must be a whole number, got 4.0",
        ),
        (
            lambda c: c["sampler"].update(seed=2**64),
            "sampler.seed: must be <= 9223372036854775807, got 18446744073709551616",
        ),
        (lambda c: c.update(hdi_prob=float("nan")), "hdi_prob: must be a finite number, got nan"),
        (
            lambda c: c["checks"].update(max_r_hat=float("inf")),
            "max_r_hat: must be a finite number, got inf",
        ),
        (
            lambda c: c["channels"]["tv"].update(spend_scale=True),
            "spend_scale: must be a number, got True",
        ),
        (
            lambda c: c["channels"]["tv"]["adstock"].update(alpha=True),
            "alpha: must be a finite number or a prior, got True",
        ),
        (
            lambda c: c["channels"]["tv"].update(
                coefficient={"bounds": {"lower": 1e300, "upper": 1e308}}
            ),
            "out of the solver's range",
        ),
    ],
    ids=[
        "target-is-spend",
        "control-is-target",
        "spend-twice",
        "string-number",
        "float-count",
        "seed-beyond-64-bits",
        "nan",
        "inf",
        "bool-number",
        "bool-parameter",
        "bounds-overflow",
    ],
)
def test_values_are_not_coerced_and_roles_are_distinct(tmp_path, edit, message):
    path = edit_config(example_config(tmp_path), edit)
    result = invoke("check", path, "--json")
    assert result.exit_code == 2, result.stderr
    assert message in json.loads(result.stdout)["error"]
    assert len(result.stderr.strip().splitlines()) == 1


def test_prior_errors_name_the_config_file(tmp_path):
    path = edit_config(
        example_config(tmp_path),
        lambda c: c["channels"]["tv"].update(
            coefficient={"bounds": {"dist": "HalfNormal", "lower": 3, "upper": 10}}
        ),
    )
    result = invoke("check", path)
    assert result.exit_code == 2 and result.stderr.startswith(f"error: {path}: channels.tv")


def test_extreme_data_is_a_prior_error_not_a_crash(tmp_path):
    frame = (SAMPLE / "weekly.csv").read_text().splitlines()
    rows = (
        [frame[0]]
        + [  # extreme but not constant (a constant target is refused first)
            ",".join([r.split(",")[0], f"{1e300 * (1 + i % 7 / 10):g}", *r.split(",")[2:]])
            for i, r in enumerate(frame[1:])
        ]
    )
    (tmp_path / "huge.csv").write_text("\n".join(rows) + "\n")
    path = edit_config(example_config(tmp_path), lambda c: c["data"].update(path="huge.csv"))
    result = invoke("check", path)
    assert result.exit_code == 2, result.stderr
    assert "check the data's scale" in result.stderr


def test_a_folder_given_as_a_file_is_named_as_such(tmp_path):
    (tmp_path / "data.csv").mkdir()
    path = edit_config(example_config(tmp_path), lambda c: c["data"].update(path="data.csv"))
    assert "is a folder, not a CSV file" in invoke("check", path).stderr
    assert "is a folder, not a config file" in invoke("check", tmp_path).stderr


def test_an_internal_error_is_one_line_naming_its_log(monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(check_module, "prepare", boom)
    result = invoke("check", EXAMPLE, "--json")
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert line.startswith("internal error: RuntimeError: boom (traceback: ")
    assert line.count("internal error") == 1 and len(line.splitlines()) == 1
    log = Path(line.split("traceback: ")[1].rstrip(")"))
    assert "RuntimeError: boom" in log.read_text()
    assert json.loads(result.stdout)["exit_code"] == 1
    log.unlink()


@pytest.mark.parametrize(
    "args",
    [
        ["fit", str(EXAMPLE), "--drw", "5", "--json"],
        ["fit", "--json"],
        ["fit", str(EXAMPLE), "--draws", "abc", "--json"],
        ["bogus", "--json"],
        ["compare", "--json", "a"],
    ],
    ids=["unknown-option", "missing-argument", "bad-value", "unknown-command", "missing-run"],
)
def test_json_for_a_command_line_that_does_not_parse(args):
    proc = run_mmm(*args)
    assert proc.returncode == 2
    result = json.loads(proc.stdout)  # exactly one object
    assert result["exit_code"] == 2 and result["status"] == "error"
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_version_and_help():
    version = run_mmm("--version")
    assert version.returncode == 0 and version.stdout.strip() == "0.1.0"
    assert run_mmm("--help").returncode == 0
    assert run_mmm().returncode == 2  # nothing asked: the help, and a usage exit code


def test_resolved_config_is_still_a_valid_config(tmp_path):
    """Strict types must not reject the tool's own resolved config."""
    from mmmcli.spec.config import validate_config

    raw = yaml.safe_load(EXAMPLE.read_text())
    validate_config(raw, EXAMPLE)
