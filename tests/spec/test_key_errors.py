"""A misspelt key is named as such, with "did you mean", at every depth of the config.

A misspelt *required* key (``chanels:``) also leaves the real key missing; pydantic lists the
missing key first, so the message used to read "channels: required key is missing" and hide the
typo. Every key of a config that uses every block is misspelt in turn (the kind of typo drawn
by hypothesis), and the one-line error must name the misspelt key and suggest the right one.
"""

from __future__ import annotations

import copy
import string

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mmmcli.errors import ConfigError
from mmmcli.spec.config import validate_config
from tests.helpers import CALIBRATED, EXAMPLE


def _everything() -> dict:
    """The calibrated example with every optional block present."""
    config = yaml.safe_load(CALIBRATED.read_text())
    config["channels"]["radio"]["coefficient"] = {
        "dist": "Gamma",
        "alpha": 2,
        "beta": 1,
        "time_varying": {"type": "grw", "sigma": {"dist": "HalfNormal", "sigma": 0.05}},
    }
    config["channels"]["social"]["adstock"] = {"type": "geometric", "max_lag": 4, "alpha": 0.3}
    config["trend"] = {"type": "linear", "slope": {"dist": "Normal", "mu": 0, "sigma": 1}}
    config["intercept"] = {"bounds": {"lower": 100, "upper": 900, "mass": 0.9}}
    config["target"]["sigma"] = {"dist": "HalfNormal", "sigma": 50}
    config["optimize"] = {"periods": 8, "budget": 1000.0, "bounds": {"tv": [0.5, 2.0]}}
    config["refresh"] = {"from": "runs/example/latest", "widen": 2.0}
    config["tracking"] = {"mlflow": {"uri": "mlruns", "experiment": "acme"}}
    config["media_share"] = {"mean": 0.3, "sd": 0.1}
    return config


# mapping keys that are names the user chose, not keys of the schema
_NAMED = {("channels",), ("controls",), ("optimize", "bounds"), ("optimize", "spend_bounds")}


def _key_paths(node: object, path: tuple = ()) -> list[tuple]:
    out: list[tuple] = []
    if isinstance(node, dict):
        for key, value in node.items():
            here = (*path, key)
            if path[-1:] and tuple(p for p in path if not isinstance(p, int)) in _NAMED:
                out += _key_paths(value, here)  # a channel's own keys, not its name
                continue
            if path in _NAMED:
                out += _key_paths(value, here)
                continue
            out.append(here)
            out += _key_paths(value, here)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            out += _key_paths(item, (*path, i))
    return out


CONFIGS = {"example": yaml.safe_load(EXAMPLE.read_text()), "everything": _everything()}
PATHS = [(name, p) for name, cfg in CONFIGS.items() for p in _key_paths(cfg)]


@st.composite
def _typo(draw: st.DrawFn, key: str) -> str:
    """A keyboard slip of ``key``: a letter dropped, doubled, swapped or replaced."""
    kind = draw(st.sampled_from(["drop", "double", "swap", "replace"]))
    i = draw(st.integers(0, len(key) - 1))
    if kind == "drop" and len(key) > 3:
        out = key[:i] + key[i + 1 :]
    elif kind == "swap" and i < len(key) - 1 and key[i] != key[i + 1]:
        out = key[:i] + key[i + 1] + key[i] + key[i + 2 :]
    elif kind == "replace" and len(key) > 3:
        letter = draw(st.sampled_from(string.ascii_lowercase).filter(lambda c: c != key[i]))
        out = key[:i] + letter + key[i + 1 :]
    else:
        out = key[:i] + key[i] + key[i:]
    return out


def test_every_depth_is_covered():
    depths = {len([p for p in path if not isinstance(p, int)]) for _, path in PATHS}
    assert {1, 2, 3, 4, 5} <= depths


@pytest.mark.parametrize(
    "name, path", PATHS, ids=lambda v: ".".join(map(str, v)) if isinstance(v, tuple) else v
)
@settings(max_examples=3, deadline=None)
@given(data=st.data())
def test_a_misspelt_key_is_named_with_did_you_mean(name, path, data):
    config = copy.deepcopy(CONFIGS[name])
    parent = config
    for part in path[:-1]:
        parent = parent[part]
    key = str(path[-1])
    typo = data.draw(_typo(key))
    siblings = set(parent)
    if typo in siblings or len(key) <= 3:
        return  # a typo that hits another real key, or a key too short to guess from
    parent[typo] = parent.pop(key)
    with pytest.raises(ConfigError) as raised:
        validate_config(config, "c.yaml")
    message = str(raised.value)
    assert "\n" not in message
    assert f"did you mean {key!r}" in message, message
    assert typo in message, message


def test_three_depths_read_as_a_person_expects():
    config = _everything()
    config["chanels"] = config.pop("channels")
    with pytest.raises(ConfigError, match=r"^c.yaml: chanels: unknown key \(did you mean "):
        validate_config(config, "c.yaml")
    config = _everything()
    config["channels"]["tv"]["spnd"] = config["channels"]["tv"].pop("spend")
    with pytest.raises(ConfigError, match=r"channels.tv.spnd: unknown key \(did you mean 'spend'"):
        validate_config(config, "c.yaml")
    config = _everything()
    bounds = config["intercept"]["bounds"]
    bounds["lowr"] = bounds.pop("lower")
    with pytest.raises(ConfigError) as raised:
        validate_config(config, "c.yaml")
    assert str(raised.value) == (
        "c.yaml: intercept.bounds.lowr: unknown key (did you mean 'lower'?)"
    )
