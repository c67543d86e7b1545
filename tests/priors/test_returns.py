"""Priors on ROAS/CPA: the shared default (a total media share) and the user's own."""

import numpy as np
import pytest

from mmmcli.errors import ConfigError
from mmmcli.model.implied import prior_rows
from mmmcli.spec import names
from mmmcli.spec.config import load_config
from mmmcli.workflows.prepare import prepare
from tests.helpers import edit_config, example_config


def _revenue(raw: dict) -> None:
    raw["target"]["kind"] = "revenue"


@pytest.mark.parametrize("share", [(0.4, 0.2), (0.1, 0.05), (0.25, 0.2)])
def test_default_return_gives_the_media_share_asked_for(tmp_path, share):
    """Monte Carlo over the solved LogNormal: the channels' summed contribution over the fit,
    as a share of the target's total, has the configured mean and sd."""
    mean, sd = share
    path = edit_config(example_config(tmp_path), _revenue)
    path = edit_config(path, lambda raw: raw.update(media_share={"mean": mean, "sd": sd}))
    cfg = load_config(path)
    data, priors, _ = prepare(cfg)
    n = data.n_train
    rng = np.random.default_rng(0)
    share_draws = np.zeros(200_000)
    for j, name in enumerate(cfg.channels):
        var = names.roas(name)
        if var not in priors:  # the example gives tv a coefficient prior
            assert cfg.channels[name].coefficient_prior
            continue
        p = priors[var]
        assert p.source == "default" and p.dist == "LogNormal"
        share_draws += rng.lognormal(p.params["mu"], p.params["sigma"], share_draws.size) * (
            data.spend[:n, j].sum()
        )
    share_draws /= data.y[:n].sum()
    assert share_draws.mean() == pytest.approx(mean, rel=0.03)
    assert share_draws.std() == pytest.approx(sd, rel=0.08)


def test_cpa_default_is_the_inverse_return(tmp_path):
    cfg = load_config(example_config(tmp_path))
    assert cfg.target.kind == "conversions"
    _, priors, _ = prepare(cfg)
    assert names.cpa("radio") in priors and names.coefficient("radio") not in priors
    assert priors[names.cpa("radio")].params["mu"] > 0  # spend per conversion, not its inverse


def test_roas_bounds_are_solved_and_imply_a_coefficient_range(tmp_path):
    def edit(raw: dict) -> None:
        _revenue(raw)
        raw["channels"]["radio"]["roas"] = {"bounds": {"lower": 1.5, "upper": 4, "mass": 0.9}}

    cfg = load_config(edit_config(example_config(tmp_path), edit))
    data, priors, _ = prepare(cfg)
    p = priors[names.roas("radio")]
    assert p.source == "bounds" and p.dist == "Gamma"
    assert p.achieved_mass == pytest.approx(0.9, abs=1e-3)
    assert p.frozen().cdf(4) - p.frozen().cdf(1.5) == pytest.approx(0.9, abs=1e-3)
    row = next(r for r in prior_rows(cfg, data, priors) if r["parameter"] == "radio_roas")
    lo, hi = (float(v) for v in row["implied_coefficient"].split()[1::2])
    assert 0 < lo < hi and hi / lo == pytest.approx(
        4 / 1.5,
        rel=1e-3,  # equal tails: the bounds are the 5% and 95% points
    )


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda r: r["channels"]["radio"].update(roas={"dist": "Gamma", "alpha": 2, "beta": 1}),
            "channels.radio.roas: the target is conversions, so give 'cpa' instead",
        ),
        (
            lambda r: r["channels"]["tv"].update(cpa={"dist": "Gamma", "alpha": 2, "beta": 1}),
            "channels.tv: give a prior on the coefficient or on the CPA, not both",
        ),
        (
            lambda r: r["channels"]["radio"].update(coefficient={}),
            "give 'dist' with its parameters, 'bounds' or 'time_varying'",
        ),
        (lambda r: r.update(media_share={"mean": 1.2}), "media_share.mean"),
    ],
)
def test_return_priors_refused(tmp_path, edit, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_config(edit_config(example_config(tmp_path), edit))


def test_time_varying_alone_keeps_the_default_return(tmp_path):
    path = edit_config(
        example_config(tmp_path),
        lambda r: r["channels"]["radio"].update(coefficient={"time_varying": {"type": "grw"}}),
    )
    _, priors, _ = prepare(load_config(path))
    assert priors[names.cpa("radio")].source == "default"
    assert names.grw_sigma(names.coefficient("radio")) in priors
