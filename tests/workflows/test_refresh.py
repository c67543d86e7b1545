"""Refresh from an earlier run: priors.csv and the manifest say where each prior came from; a
change that breaks the mapping, or the same data again, is refused before sampling."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.helpers import SAMPLE, example_config, invoke


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
    run = json.loads(result.stdout)["run_dir"]
    priors = pd.read_csv(f"{run}/priors.csv").set_index("parameter")
    assert (priors["source"] == "refresh").sum() >= 15
    assert set(priors.loc[priors["source"] == "refresh", "refreshed_from"]) == {earlier["run"]}
    manifest = json.loads(Path(run, "manifest.json").read_text())
    assert manifest["refresh"]["from"] == earlier["run"]
    assert manifest["refresh"]["widen"] == 2.0
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
    assert result.exit_code == 2 and "was fitted to this same data" in result.stderr


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
    manifest = json.loads(Path(json.loads(c.stdout)["run_dir"], "manifest.json").read_text())
    assert manifest["refresh"]["from"] == earlier["run"]
    assert manifest["refresh"]["requested"] == b_run
