"""A failed fit's diagnosis, on synthetic traces: where divergences concentrate, the worst
parameters, and advice tied to what was found."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from mmmcli.analysis.diagnosis import (
    _divergence_advice,
    divergence_concentration,
    elements,
    explain_failure,
    role,
    worst,
)
from mmmcli.inputs.screening import Finding
from mmmcli.spec.config import Config, load_config
from tests.helpers import example_config

CHAINS, DRAWS = 4, 500
FOURIER = ["sin1", "cos1"]


def trace(seed: int = 0, divergent: int = 36, in_tail: int = 31) -> xr.DataTree:
    """Independent normal draws for tv_lam, radio_coef and seasonality_coef[fourier]; of the
    ``divergent`` draws, ``in_tail`` sit where tv_lam is in its lowest 10% and the rest where
    seasonality_coef[cos1] is in its highest 10%. radio_coef and sin1 have nothing to do with
    the divergences."""
    rng = np.random.default_rng(seed)
    shape = (CHAINS, DRAWS)
    tv_lam = rng.normal(2.0, 0.5, shape)
    season = rng.normal(0.0, 1.0, (*shape, len(FOURIER)))
    low = np.flatnonzero(tv_lam.ravel() < np.quantile(tv_lam, 0.1))
    high = np.flatnonzero(season[..., 1].ravel() > np.quantile(season[..., 1], 0.9))
    high = np.setdiff1d(high, low)
    chosen = np.concatenate(
        [rng.choice(low, in_tail, replace=False), rng.choice(high, divergent - in_tail, False)]
    )
    diverging = np.zeros(CHAINS * DRAWS, dtype=bool)
    diverging[chosen] = True
    dims = ("chain", "draw")
    posterior = xr.Dataset(
        {
            "tv_lam": (dims, tv_lam),
            "radio_coef": (dims, rng.normal(100.0, 10.0, shape)),
            "seasonality_coef": ((*dims, "fourier"), season),
        },
        coords={"chain": np.arange(CHAINS), "draw": np.arange(DRAWS), "fourier": FOURIER},
    )
    stats = xr.Dataset({"diverging": (dims, diverging.reshape(shape))})
    return xr.DataTree.from_dict({"posterior": posterior, "sample_stats": stats})


def named(found: list[dict]) -> dict[str, dict]:
    return {d["parameter"]: d for d in found}


def test_vector_elements_are_labelled_like_the_summary():
    labels = [label for label, _ in elements(trace()["posterior"])]
    assert labels == ["tv_lam", "radio_coef", "seasonality_coef[sin1]", "seasonality_coef[cos1]"]


def test_divergences_at_a_parameters_low_tail_name_it():
    tree = trace()
    found = named(divergence_concentration(tree["posterior"], tree["sample_stats"]["diverging"]))
    tv = found["tv_lam"]
    assert tv["tail"] == "low" and tv["divergent"] == 36
    assert tv["divergent_in_tail"] >= 31
    assert tv["text"].startswith("divergences concentrate where tv_lam is in its lowest 10% (")
    assert "of 36 divergent draws)" in tv["text"]
    # the remaining 5 sit at cos1's high tail: too few to name (5 of 36 is chance-like)
    assert "radio_coef" not in found and "seasonality_coef[sin1]" not in found


def test_a_vector_element_is_named_by_element():
    tree = trace(divergent=40, in_tail=10)  # 30 at cos1's high tail, 10 at tv_lam's low
    found = named(divergence_concentration(tree["posterior"], tree["sample_stats"]["diverging"]))
    assert found["seasonality_coef[cos1]"]["tail"] == "high"
    assert found["seasonality_coef[cos1]"]["divergent_in_tail"] >= 30
    assert "seasonality_coef[sin1]" not in found and "radio_coef" not in found


@pytest.mark.parametrize("seed", range(5))
def test_divergences_unrelated_to_every_parameter_name_none(seed):
    rng = np.random.default_rng(seed)
    tree = trace(seed)
    diverging = rng.random((CHAINS, DRAWS)) < 0.02  # at random: no parameter is to blame
    assert divergence_concentration(tree["posterior"], diverging) == []


def test_no_divergences_no_concentration():
    tree = trace()
    assert divergence_concentration(tree["posterior"], np.zeros((CHAINS, DRAWS), bool)) == []


def test_worst_lists_only_parameters_beyond_the_threshold_worst_first():
    summary = pd.DataFrame(
        {"r_hat": [1.002, 1.2, np.nan, 1.05, 1.03, 1.011], "ess_bulk": [900, 30, 5, 80, 700, 390]},
        index=["a", "b", "const", "c", "d", "e"],
    )
    r_hat = worst(summary, "r_hat", 1.01, highest=True)
    assert [(d["parameter"], d["value"]) for d in r_hat] == [("b", 1.2), ("c", 1.05), ("d", 1.03)]
    assert r_hat[0]["threshold"] == 1.01
    ess = worst(summary, "ess_bulk", 400, highest=False)
    assert [d["parameter"] for d in ess] == ["const", "b", "c"]
    assert worst(summary, "r_hat", 2.0, highest=True) == []


# ---------------------------------------------------------------- advice


@pytest.fixture
def cfg(tmp_path) -> Config:
    """The example config: tv, radio, social, search, all logistic saturation."""
    return load_config(example_config(tmp_path))


def test_roles(cfg):
    assert role("tv_lam", cfg) == ("tv", "saturation")
    assert role("radio_alpha", cfg) == ("radio", "adstock")
    assert role("search_coef", cfg) == ("search", "coefficient")
    assert role("tv_coef_grw_sigma", cfg) == ("tv", "walk")
    assert role("intercept_grw_step[3]", cfg) == (None, "walk")
    assert role("seasonality_coef[sin1]", cfg) == (None, "other")


def diagnosis(cfg: Config, tree: xr.DataTree, findings=(), **settings) -> dict:
    summary = pd.DataFrame(
        {"r_hat": [1.0, 1.0, 1.0, 1.0], "ess_bulk": [900.0] * 4},
        index=["tv_lam", "radio_coef", "seasonality_coef[sin1]", "seasonality_coef[cos1]"],
    )
    divergences = int(np.asarray(tree["sample_stats"]["diverging"]).sum())
    diag = {
        "divergences": divergences,
        "min_ess_bulk": 900.0,
        "thresholds": {"max_r_hat": 1.01, "min_ess_bulk": 400.0, "max_divergences": 0},
        "failed": ["divergences"],
    }
    settings = {"chains": CHAINS, "draws": DRAWS, "tune": 1000, "target_accept": 0.9, **settings}
    return explain_failure(summary, tree, diag, cfg, settings, list(findings))


def test_divergences_in_a_saturation_parameter_suggest_its_prior_or_a_simpler_curve(cfg):
    out = diagnosis(cfg, trace())
    assert out["worst_r_hat"] == [] and out["lowest_ess"] == []
    assert out["divergences"][0]["parameter"] == "tv_lam"
    first = out["advice"][0]
    assert "tv_lam is tv's logistic saturation parameter" in first
    assert "tighter prior" in first and "saturation: michaelis_menten" in first
    assert not any("target_accept" in line for line in out["advice"])  # something specific


def test_data_findings_become_advice_and_the_generic_fallback_appears_only_alone(cfg):
    rng = np.random.default_rng(3)
    tree = trace()
    tree["sample_stats"] = xr.Dataset(
        {"diverging": (("chain", "draw"), rng.random((CHAINS, DRAWS)) < 0.01)}
    )
    alone = diagnosis(cfg, tree)
    assert alone["divergences"] == []
    assert (
        len(alone["advice"]) == 1
        and "raise sampler.target_accept from 0.9 to 0.95" in (alone["advice"][0])
    )
    finding = Finding("correlated", ("tv", "radio"), 0.93, "tv and radio spend correlate ...")
    with_data = diagnosis(cfg, tree, [finding])
    assert with_data["advice"][0] == finding.message
    assert with_data["data"] == [finding.to_json()]


def test_low_ess_from_few_draws_says_how_many(cfg):
    tree = trace()
    tree["sample_stats"] = xr.Dataset({"diverging": (("chain", "draw"), np.zeros((4, 500)))})
    summary = pd.DataFrame(
        {"r_hat": [1.03, 1.0], "ess_bulk": [90.0, 300.0]}, index=["intercept", "radio_coef"]
    )
    diag = {
        "divergences": 0,
        "max_r_hat": 1.03,
        "min_ess_bulk": 90.0,
        "thresholds": {"max_r_hat": 1.01, "min_ess_bulk": 400.0, "max_divergences": 0},
        "failed": ["r_hat", "ess_bulk"],
    }
    settings = {"chains": 2, "draws": 100, "tune": 100, "target_accept": 0.9}
    out = explain_failure(summary, tree, diag, cfg, settings, [])
    assert [d["parameter"] for d in out["lowest_ess"]] == ["intercept", "radio_coef"]
    assert any("only 100 tuning steps" in line for line in out["advice"])
    # 90 from 2 x 100 draws: 400 needs about 100 * 400 / 90 * 1.2 = 534 -> 600
    assert any("raise --draws to about 600" in line for line in out["advice"])


def test_one_chain_gets_told_to_run_more(cfg):
    tree = trace()
    summary = pd.DataFrame({"r_hat": [np.nan], "ess_bulk": [900.0]}, index=["intercept"])
    diag = {
        "divergences": 0,
        "max_r_hat": None,
        "min_ess_bulk": 900.0,
        "thresholds": {"max_r_hat": 1.01, "min_ess_bulk": 400.0, "max_divergences": 0},
        "failed": ["r_hat"],
    }
    tree["sample_stats"] = xr.Dataset({"diverging": (("chain", "draw"), np.zeros((4, 500)))})
    settings = {"chains": 1, "draws": 1000, "tune": 1000}
    out = explain_failure(summary, tree, diag, cfg, settings, [])
    assert out["advice"] == ["r_hat needs at least 2 chains to compare (1 ran): use --chains 4"]


@pytest.mark.parametrize(
    ("parameter", "expected"),
    [
        ("radio_cpa", "give radio's CPA prior the bounds you know"),
        ("intercept", "drop `intercept:` from the config"),
        ("price_coef", "give price_coef a tighter prior (bounds)"),
    ],
)
def test_divergence_advice_follows_the_parameters_role(cfg, parameter, expected):
    line = _divergence_advice({"parameter": parameter, "tail": "low"}, cfg)
    assert line.startswith(f"divergences concentrate where {parameter} is small: ")
    assert expected in line
