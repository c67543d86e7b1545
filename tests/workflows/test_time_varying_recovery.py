"""Time-varying coefficients: a random walk recovers a rising channel (full sampling, slow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from rich.console import Console

from mmmcli import fit
from mmmcli.spec.config import validate_config
from tests.datasets import rising_channel

QUIET = Console(file=open("/dev/null", "w"))  # noqa: SIM115


@pytest.fixture(scope="module")
def rising_fits(tmp_path_factory):
    d = rising_channel(Path(tmp_path_factory.mktemp("rising")))
    return d, {k: fit(d[k], console=QUIET, progress=False) for k in ("plain", "varying")}


def _weekly_a(outcome) -> pd.DataFrame:
    table = pd.read_csv(outcome.run_dir / "contributions.csv")
    return table[table["component"] == "a"].reset_index(drop=True)


@pytest.mark.slow
def test_random_walk_tracks_rising_effectiveness(rising_fits):
    d, fits = rising_fits
    truth = d["weekly"]["a"]
    figures = {}
    for key, outcome in fits.items():
        a = _weekly_a(outcome)
        inside = (a["hdi_low"] <= truth) & (truth <= a["hdi_high"])
        figures[key] = (float(inside.mean()), float(np.mean(np.abs(a["mean"] - truth))))
    print(f"\nweekly coverage and MAE of channel a's contribution: {figures}")
    print(
        f"varying fit: {fits['varying'].diagnostics['divergences']} divergences, "
        f"max r_hat {fits['varying'].diagnostics['max_r_hat']:.3f}, "
        f"min ESS bulk {fits['varying'].diagnostics['min_ess_bulk']:.0f}"
    )
    assert figures["varying"][0] >= 0.85
    assert figures["varying"][1] <= 0.5 * figures["plain"][1]
    assert fits["varying"].diagnostics["divergences"] == 0


@pytest.mark.slow
def test_varying_outputs(rising_fits):
    d, fits = rising_fits
    run = fits["varying"].run_dir
    coefs = pd.read_csv(run / "coefficients.csv")
    assert list(coefs.columns) == ["date", "component", "mean", "hdi_low", "hdi_high"]
    assert set(coefs["component"]) == {"a"} and len(coefs) == 104
    late, early = coefs["mean"].iloc[-10:].mean(), coefs["mean"].iloc[:10].mean()
    assert 2.0 < late / early < 4.5  # the truth triples
    assert (run / "plots" / "coefficients.png").is_file()
    resolved = validate_config(yaml.safe_load((run / "config.resolved.yaml").read_text()))
    assert resolved.channels["a"].coefficient.time_varying is not None
    assert not (fits["plain"].run_dir / "coefficients.csv").exists()
