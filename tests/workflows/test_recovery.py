"""Parameter recovery on the bundled sample data with full sampling (slow; runs in CI)."""

import json

import numpy as np
import pytest

from mmmcli import fit, load_config
from tests.helpers import EXAMPLE, SAMPLE


@pytest.fixture(scope="module")
def full_fit(tmp_path_factory):
    cfg = load_config(EXAMPLE)
    return fit(cfg, out=tmp_path_factory.mktemp("recovery"), progress=False)


@pytest.mark.slow
def test_every_channel_total_inside_94_hdi(full_fit):
    truth = json.loads((SAMPLE / "weekly_truth.json").read_text())
    n_train = 156 - 8
    channels = full_fit.channels.set_index("channel")
    report = []
    for name, values in truth["contributions"].items():
        true_total = float(np.sum(values["weekly"][:n_train]))
        row = channels.loc[name]
        report.append(
            (
                name,
                true_total,
                row.contribution_mean,
                row.contribution_hdi_low,
                row.contribution_hdi_high,
            )
        )
    print("\nchannel, true total, posterior mean, 94% HDI")
    for r in report:
        print(f"{r[0]:8s} {r[1]:10.0f} {r[2]:10.0f} [{r[3]:.0f}, {r[4]:.0f}]")
    for name, true_total, _, low, high in report:
        assert low <= true_total <= high, name


@pytest.mark.slow
def test_full_fit_passes_the_gate(full_fit):
    assert full_fit.status == "passed", full_fit.diagnostics
    assert full_fit.exit_code == 0
    assert (full_fit.run_dir.parent / "latest").resolve() == full_fit.run_dir.resolve()
