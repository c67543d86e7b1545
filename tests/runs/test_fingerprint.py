"""Input fingerprints (for --if-changed): config, data and options all count."""

from __future__ import annotations

import yaml

from mmmcli.runs.fingerprint import input_hashes
from mmmcli.spec.config import load_config
from tests.helpers import SAMPLE, example_config


def test_fingerprint_covers_inputs_and_options(tmp_path):
    path = example_config(tmp_path)
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
