"""Refresh from an earlier run: priors.csv and the manifest say where each prior came from; a
change that breaks the mapping, or data that add no period to the earlier run's, is refused
before sampling; what is counted twice, and a redirection to the run fitted from scratch, are
said."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from rich.console import Console

from mmmcli.workflows.fit import fit
from tests.helpers import SAMPLE, ReachedSampler, example_config, invoke, stop_at_sampler


@pytest.fixture(scope="module")
def earlier(tmp_path_factory):
    """A quick fit of the sample data without its last 4 weeks, and the configs around it."""
    folder = tmp_path_factory.mktemp("refresh")
    rows = pd.read_csv(SAMPLE / "weekly.csv")
    rows.iloc[:-4].to_csv(folder / "old.csv", index=False)
    rows.iloc[:-2].to_csv(folder / "mid.csv", index=False)
    rows.to_csv(folder / "new.csv", index=False)
    config = example_config(folder, holdout={"periods": 0})
    raw = yaml.safe_load(config.read_text())
    raw["data"]["path"] = str(folder / "old.csv")
    config.write_text(yaml.safe_dump(raw))
    fitted = invoke("fit", config, "--quick", "--json")
    assert fitted.exit_code == 0, fitted.stderr
    raw["data"]["path"] = str(folder / "new.csv")
    newer = folder / "new.yaml"
    newer.write_text(yaml.safe_dump(raw))
    return {"folder": folder, "run": json.loads(fitted.stdout)["run_dir"], "new": newer}


@pytest.mark.sampling
def test_refresh_from_the_command_line(earlier):
    result = invoke("fit", earlier["new"], "--quick", "--refresh-from", earlier["run"], "--json")
    assert result.exit_code == 0, result.stderr
    said = " ".join(result.stderr.split())  # rich wraps long lines
    assert "is unchecked (not checked: a --quick run?)" in said  # the parent was a quick run
    assert (
        "refresh: 4 new periods (2025-12-01..2025-12-22); the 152 fitted by "
        f"{earlier['run']} (2023-01-02..2025-11-24) count twice, fully in the likelihood and "
        "through its posterior widened x2 (about 25% of their weight)"
    ) in said
    run = json.loads(result.stdout)["run_dir"]
    priors = pd.read_csv(f"{run}/priors.csv").set_index("parameter")
    assert (priors["source"] == "refresh").sum() >= 15
    assert set(priors.loc[priors["source"] == "refresh", "refreshed_from"]) == {earlier["run"]}
    manifest = json.loads(Path(run, "manifest.json").read_text())
    assert manifest["refresh"]["from"] == earlier["run"]
    assert manifest["refresh"]["widen"] == 2.0
    assert manifest["refresh"]["option"] == "--refresh-from"
    periods = manifest["refresh"]["periods"]
    assert (periods["shared"]["count"], periods["new"]["count"]) == (152, 4)
    assert "tv_alpha" in manifest["refresh"]["parameters"]
    resolved = yaml.safe_load(Path(run, "config.resolved.yaml").read_text())
    assert resolved["refresh"]["from"] == earlier["run"]


@pytest.mark.sampling
def test_a_renamed_channel_or_the_same_data_is_refused(earlier):
    raw = yaml.safe_load(earlier["new"].read_text())
    raw["channels"]["television"] = raw["channels"].pop("tv")
    renamed = earlier["folder"] / "renamed.yaml"
    renamed.write_text(yaml.safe_dump(raw))
    result = invoke("fit", renamed, "--quick", "--refresh-from", earlier["run"])
    assert result.exit_code == 2
    assert "channel 'tv' of the earlier run is not in this config (renamed?)" in result.stderr
    same = yaml.safe_load(earlier["new"].read_text())
    same["data"]["path"] = str(earlier["folder"] / "old.csv")
    again = earlier["folder"] / "again.yaml"
    again.write_text(yaml.safe_dump(same))
    result = invoke("fit", again, "--quick", "--refresh-from", earlier["run"])
    assert result.exit_code == 2 and "add none to them" in result.stderr
    assert "(the same data file)" in " ".join(result.stderr.split())


def _data_config(earlier, name: str, frame: pd.DataFrame, **changes) -> Path:
    """``<name>.yaml``: the refresh config on ``frame`` (written as ``<name>.csv``)."""
    frame.to_csv(earlier["folder"] / f"{name}.csv", index=False)
    raw = yaml.safe_load(earlier["new"].read_text())
    raw["data"]["path"] = str(earlier["folder"] / f"{name}.csv")
    raw.update(changes)
    path = earlier["folder"] / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.sampling
@pytest.mark.parametrize(
    ("case", "said"),
    [
        ("copy", "this run's fitted periods, 2023-01-02..2025-11-24 (152 periods), add none"),
        ("shorter", "this run's fitted periods, 2023-01-02..2025-10-27 (148 periods), add none"),
        ("revised", "add none to them (152 with revised target values: after a correction"),
        ("held out", "add none to them; the 4 later ones are held out (holdout.periods 4)"),
    ],
)
def test_data_that_add_no_period_are_refused_whatever_the_file(earlier, monkeypatch, case, said):
    """The earlier run was fitted on the first 152 weeks. The same weeks saved again (another
    file: the old check compared file hashes and let it through), fewer weeks, the same weeks
    corrected, or new weeks all held out: every fitted period would count twice."""
    stop_at_sampler(monkeypatch)  # the old code went on to sample these
    rows = pd.read_csv(SAMPLE / "weekly.csv")
    frame, changes = rows.iloc[:-4], {}
    if case == "copy":
        frame = frame[["price", *[c for c in frame.columns if c != "price"]]]  # other bytes
    elif case == "shorter":
        frame = rows.iloc[:-8]
    elif case == "revised":
        frame = frame.assign(conversions=frame["conversions"] * 1.02)
    else:
        frame, changes = rows, {"holdout": {"periods": 4}}
    config = _data_config(earlier, case.replace(" ", "_"), frame, **changes)
    result = invoke("fit", config, "--quick", "--refresh-from", earlier["run"])
    message = " ".join(result.stderr.split())
    assert result.exit_code == 2, message
    assert f"--refresh-from: {earlier['run']} was fitted on 2023-01-02..2025-11-24" in message
    assert said in message and "each would count twice" in message
    assert "(leave out --refresh-from)" in message
    # the same refusal through the config's block names the block; `check` refuses it too
    raw = yaml.safe_load(config.read_text())
    raw["refresh"] = {"from": earlier["run"]}
    config.write_text(yaml.safe_dump(raw))
    checked = invoke("check", config)
    assert checked.exit_code == 2
    assert f"{config}: refresh.from: {earlier['run']} was fitted on" in " ".join(
        checked.stderr.split()
    )


@pytest.mark.sampling
def test_new_periods_with_revised_history_are_fitted_with_a_warning(earlier, monkeypatch):
    """Four new weeks, and two of the earlier run's weeks corrected: the refresh adds periods,
    so it runs, but says that the earlier posterior holds the old values."""
    stop_at_sampler(monkeypatch)
    rows = pd.read_csv(SAMPLE / "weekly.csv")
    rows.loc[10:11, "conversions"] += 50.0
    config = _data_config(earlier, "corrected", rows)
    console = Console(file=io.StringIO(), width=400)
    with pytest.raises(ReachedSampler):
        fit(config, quick=True, refresh_from=earlier["run"], console=console)
    said = console.file.getvalue()
    assert (
        f"warning: refresh: 2 of the 152 periods {earlier['run']} was fitted on have other "
        "target values here (2023-03-13..2023-03-20; a correction?)"
    ) in said
    assert "refresh: 4 new periods" in said


@pytest.mark.sampling
def test_a_refresh_of_a_refresh_starts_from_the_run_fitted_from_scratch(earlier):
    """B refreshes from A (fitted from scratch); C asks for B and gets A's posterior: a refresh
    of a refresh would count the weeks they share once more at every step."""
    raw = yaml.safe_load(earlier["new"].read_text())
    raw["data"]["path"] = str(earlier["folder"] / "mid.csv")
    mid = earlier["folder"] / "mid.yaml"
    mid.write_text(yaml.safe_dump(raw))
    b = invoke("fit", mid, "--quick", "--refresh-from", earlier["run"], "--json")
    assert b.exit_code == 0, b.stderr
    b_run = json.loads(b.stdout)["run_dir"]
    c = invoke("fit", earlier["new"], "--quick", "--refresh-from", b_run, "--json")
    assert c.exit_code == 0, c.stderr
    said = " ".join(c.stderr.split())
    assert (
        f"refresh: {b_run} was itself refreshed from {earlier['run']}: priors from "
        f"{earlier['run']}, the run fitted from scratch"
    ) in said
    manifest = json.loads(Path(json.loads(c.stdout)["run_dir"], "manifest.json").read_text())
    assert manifest["refresh"]["from"] == earlier["run"]
    assert manifest["refresh"]["requested"] == b_run
    assert manifest["refresh"]["given"] == b_run


def test_errors_name_the_option_or_the_config_key_the_run_came_from(tmp_path):
    """A refresh asked for on the command line is named as such; one from the config's block
    names the block (it used to say refresh.from for both)."""
    config = example_config(tmp_path)
    missing = tmp_path / "runs" / "nothing-here"
    result = invoke("fit", config, "--quick", "--refresh-from", missing)
    assert result.exit_code == 2
    assert f"error: --refresh-from: {missing}: no such run folder" in result.stderr
    assert "refresh.from" not in result.stderr
    raw = yaml.safe_load(config.read_text())
    raw["refresh"] = {"from": str(missing)}
    config.write_text(yaml.safe_dump(raw))
    result = invoke("fit", config, "--quick")
    assert result.exit_code == 2
    assert f"error: {config}: refresh.from: {missing}: no such run folder" in result.stderr
