"""The stress corpus (``mmmsim.corpus``): independent of mmmcli, deterministic, shaped as the
issue asks, and every case's default config valid for ``mmm check``."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pytest

from mmmsim import corpus
from tests.helpers import ROOT, invoke


def test_the_generators_never_import_mmmcli():
    for path in (ROOT / "mmmsim").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(n.split(".")[0] == "mmmcli" for n in names), path


def test_cases_are_deterministic():
    a, truth_a = corpus.simulate(corpus.case("flighted"))
    b, truth_b = corpus.simulate(corpus.case("flighted"))
    assert a.equals(b) and truth_a == truth_b


def test_the_corpus_covers_what_teams_bring():
    cases = {c.name: c for c in corpus.CASES}
    assert len(cases) >= 12
    levels = [c.level for c in cases.values()]
    assert min(levels) <= 1e2 and max(levels) >= 1e9
    assert {5, 10, 20} <= {c.channels for c in cases.values()}
    assert {52, 104, 156, 260} <= {c.periods for c in cases.values()}
    assert any(c.freq == "D" and c.periods >= 730 for c in cases.values())
    frames = {name: corpus.simulate(c) for name, c in cases.items()}

    spend = frames["flighted"][0].filter(like="_spend").to_numpy()
    assert (spend[:, -1] == 0).mean() > 0.4  # many zero weeks

    spend = frames["small_channels"][0].filter(like="_spend").to_numpy()
    shares = spend.sum(axis=0) / spend.sum()
    assert (shares < 0.02).sum() >= 3

    spend = frames["ten_correlated"][0].filter(like="_spend").to_numpy()
    assert np.corrcoef(np.log(spend[:, 0]), np.log(spend[:, 1]))[0, 1] > 0.8

    for name in ("weak_conversions", "weak_revenue"):
        assert 0.05 <= frames[name][1]["media_share_of_variance"] <= 0.10, name
    assert frames["strong_signal"][1]["media_share_of_variance"] > 0.5
    families = {
        (ch["adstock"], ch["saturation"]) for ch in frames["every_family"][1]["channels"].values()
    }
    assert {a for a, _ in families} == set(corpus.ADSTOCKS)
    assert {s for _, s in families} == set(corpus.SATURATIONS)


@pytest.mark.parametrize("case", [c.name for c in corpus.CASES])
def test_every_default_config_passes_check(tmp_path, case):
    config = corpus.write_case(corpus.case(case), tmp_path / case)
    result = invoke("check", config, "--json")
    assert result.exit_code == 0, result.stderr
    truth = json.loads((config.parent / "truth.json").read_text())
    assert set(truth["channels"]) == {c["channel"] for c in json.loads(result.stdout)["channels"]}
    assert Path(config).parent.joinpath("data.csv").is_file()
