"""The attempts loop of ``mmm fit`` (``workflows.retry``) on constructed traces, no sampler: a
near miss is sampled once more with the retry's settings and the compiled model reused; a
``--quick`` run and ``--no-retry`` never are."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr
from rich.console import Console

from mmmcli.analysis.nearmiss import attempt_seed
from mmmcli.sampling.engines import ReadySampler, SampleResult
from mmmcli.spec.config import Config, Sampler, load_config
from mmmcli.workflows.retry import sample_judged
from tests.helpers import example_config


def well_mixed(seed: int, divergent: int) -> xr.DataTree:
    """4 x 500 independent draws (r_hat ~1.00, ESS ~2,000) with ``divergent`` divergent draws
    spread at random: a near miss when there are a few."""
    rng = np.random.default_rng(seed)
    shape = (4, 500)
    dims = ("chain", "draw")
    diverging = np.zeros(shape[0] * shape[1], bool)
    diverging[rng.choice(diverging.size, divergent, replace=False)] = True
    posterior = xr.Dataset(
        {"a": (dims, rng.normal(0, 1, shape)), "b": (dims, rng.gamma(2, 1, shape))}
    )
    stats = xr.Dataset({"diverging": (dims, diverging.reshape(shape))})
    return xr.DataTree.from_dict({"posterior": posterior, "sample_stats": stats})


@dataclass
class Scripted(ReadySampler):
    """A ReadySampler whose draws are scripted by seed: ``divergent[seed]`` divergences."""

    divergent: dict[int, int] = field(default_factory=dict)
    calls: list[Sampler] = field(default_factory=list)

    def run(self) -> SampleResult:
        self.calls.append(self.settings)
        tree = well_mixed(self.settings.seed % 2**32, self.divergent[self.settings.seed])
        result = SampleResult(tree, "nutpie", self.compile_seconds, 1.0)
        result.settings = {**self.settings.model_dump(), "cores": self.cores}
        return result


def setup(tmp_path: Path, divergent: dict[int, int], **sampler) -> tuple[Config, Scripted, list]:
    cfg = load_config(example_config(tmp_path))
    settings = cfg.sampler.model_copy(update={"draws": 500, **sampler})
    calls: list[Sampler] = []
    console = Console(stderr=True, record=True, width=200)
    ready = Scripted(None, settings, 2, console, False, None, 3.0, divergent, calls)
    return cfg, ready, calls


def test_a_near_miss_is_sampled_again_with_the_retry_settings(tmp_path):
    retry_seed = attempt_seed(42, 2)
    cfg, ready, calls = setup(tmp_path, {42: 1, retry_seed: 0})
    judged = sample_judged(cfg, ready, quick=False, retry=True, console=ready.console)
    assert [(s.target_accept, s.seed) for s in calls] == [(0.9, 42), (0.97, retry_seed)]
    assert judged.status == "passed" and judged.exit_code == 0
    assert judged.sampled.settings["seed"] == retry_seed  # the written run is the retry's
    assert [a["status"] for a in judged.attempts] == ["failed", "passed"]
    assert judged.attempts[0]["retry"].startswith("a near miss (1 divergence")
    assert judged.compile_seconds == 3.0  # compiled once, reused by the retry
    assert judged.sample_seconds == 2.0  # both attempts' sampling
    said = ready.console.export_text()
    assert "A near miss (1 divergence at target_accept 0.9" in said
    assert f"(seed {retry_seed}); the first attempt's draws are set aside" in said


def test_a_retry_that_fails_is_the_last_word(tmp_path):
    retry_seed = attempt_seed(42, 2)
    cfg, ready, calls = setup(tmp_path, {42: 1, retry_seed: 2})
    judged = sample_judged(cfg, ready, quick=False, retry=True, console=ready.console)
    assert len(calls) == 2 and judged.status == "failed" and judged.exit_code == 3
    assert judged.judgement is not None and not judged.judgement.retry
    assert judged.judgement.why.startswith("failed again after the retry: still a near miss")


def test_quick_runs_and_no_retry_sample_once(tmp_path):
    cfg, ready, calls = setup(tmp_path, {42: 1})
    quick = sample_judged(cfg, ready, quick=True, retry=True, console=ready.console)
    assert len(calls) == 1 and quick.status == "unchecked" and quick.judgement is None
    assert quick.attempts[0]["retry"] is None
    off = sample_judged(cfg, ready, quick=False, retry=False, console=ready.console)
    assert len(calls) == 2 and off.status == "failed"
    assert off.judgement is not None and off.judgement.why.endswith("not retried (--no-retry)")


def test_a_failure_that_is_not_a_near_miss_samples_once(tmp_path):
    cfg, ready, calls = setup(tmp_path, {42: 30})  # 30 of 4 x 500: more than a few
    judged = sample_judged(cfg, ready, quick=False, retry=True, console=ready.console)
    assert len(calls) == 1 and judged.status == "failed"
    assert judged.judgement is not None
    assert judged.judgement.why.startswith(
        "not retried: 30 divergences in 2,000 draws are more than a few (at most 20, 1%)"
    )
