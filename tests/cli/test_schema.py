"""`mmm schema`: the config's JSON Schema on stdout, and it accepts every config we ship.

An editor that flags a working config teaches users to ignore it, so the schema is checked with
a real JSON Schema validator against every config the repo ships or generates (the examples,
`mmm init`'s scaffold, each stress-corpus case, the README's YAML) and against many generated
variants that `mmm check` accepts; it must also refuse what is structurally wrong.
"""

from __future__ import annotations

import copy
import json
import re

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmmcli.errors import ConfigError
from mmmcli.spec.config import validate_config
from mmmsim.corpus import CASES, default_config
from tests.helpers import CONFIGS, ROOT, invoke


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    result = invoke("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == jsonschema.Draft202012Validator.META_SCHEMA["$id"]
    return jsonschema.Draft202012Validator(schema)


def _problems(validator: jsonschema.Draft202012Validator, config: dict) -> list[str]:
    return [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message[:200]}"
        for e in validator.iter_errors(config)
    ]


def test_schema_is_json_schema_with_priors(validator):
    schema = validator.schema
    assert "channels" in schema["properties"]
    titles = {v["title"] for v in schema["$defs"]["Prior"]["oneOf"]}
    assert {"Gamma", "HalfNormal", "bounds"} <= titles
    shorthand, block = schema["$defs"]["Adstock"]["anyOf"]
    assert shorthand == {"enum": ["none", "geometric", "delayed", "weibull"]}
    assert {v["title"] for v in block["oneOf"]} == set(shorthand["enum"])


def _example() -> dict:
    return yaml.safe_load((CONFIGS / "example.yaml").read_text())


def _shipped() -> list[tuple[str, dict]]:
    found = [(p.name, yaml.safe_load(p.read_text())) for p in CONFIGS.glob("*.yaml")]
    found += [(f"corpus:{c.name}", default_config(c, ["ch01", "ch02"])) for c in CASES]
    readme = (ROOT / "README.md").read_text()
    for i, block in enumerate(re.findall(r"```yaml\n(.*?)```", readme, re.S)):
        fragment = yaml.safe_load(block)
        found.append((f"README yaml block {i}", _merged(_example(), fragment)))
    return found


def _merged(base: dict, fragment: dict) -> dict:
    """``fragment`` laid over ``base`` (a README fragment shown inside a whole config)."""
    out = copy.deepcopy(base)
    for key, value in fragment.items():
        if key in ("channels", "controls") and isinstance(value, dict):
            out[key] = value if key != "channels" else {**out.get(key, {}), **value}
        else:
            out[key] = value
    return out


@pytest.mark.parametrize("name, config", _shipped(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_shipped_config_passes_the_schema(validator, name, config):
    if not name.startswith("README"):  # a README fragment may show roas and cpa side by side
        validate_config(config, name)  # the tool accepts it ...
    assert _problems(validator, config) == []  # ... and so does an editor


def test_init_scaffold_passes_the_schema(validator, tmp_path):
    assert invoke("init", tmp_path / "proj").exit_code == 0
    for path in (tmp_path / "proj").glob("*.yaml"):
        assert _problems(validator, yaml.safe_load(path.read_text())) == [], path.name


# ----------------------------------------------------------------- generated variants

_PRIORS = st.sampled_from(
    [
        {"dist": "Gamma", "alpha": 2, "beta": 1},
        {"dist": "HalfNormal", "sigma": 1.5},
        {"dist": "TruncatedNormal", "mu": 1, "sigma": 1, "lower": 0, "upper": 5},
        {"bounds": {"lower": 1, "upper": 5}},
        {"bounds": {"dist": "LogNormal", "lower": 1, "upper": 5, "mass": 0.9}},
    ]
)
_UNIT_PRIORS = st.sampled_from(
    [{"dist": "Beta", "alpha": 2, "beta": 2}, {"bounds": {"lower": 0.1, "upper": 0.6}}, 0.4]
)


@st.composite
def _channel(draw: st.DrawFn) -> dict:
    adstock = draw(st.sampled_from(["none", "geometric", "delayed", "weibull", None]))
    block: dict = {}
    if adstock is not None:
        block["type"] = adstock
        if draw(st.booleans()):
            block["max_lag"] = draw(st.integers(1, 12))
        if adstock in ("geometric", "delayed") and draw(st.booleans()):
            block["alpha"] = draw(_UNIT_PRIORS)
        if adstock == "weibull" and draw(st.booleans()):
            block["scale"] = draw(st.one_of(_PRIORS, st.floats(0.5, 4)))
    saturation = draw(st.sampled_from(["none", "logistic", "hill", "michaelis_menten", None]))
    sat: dict = {} if saturation is None else {"type": saturation}
    if saturation in ("hill", "michaelis_menten") and draw(st.booleans()):
        sat["k"] = draw(st.one_of(_PRIORS, st.floats(0.2, 3)))
    channel: dict = {"spend": "tv_spend", "adstock": block, "saturation": sat}
    coefficient = draw(st.sampled_from(["none", "number", "prior", "time_varying", "both", "cpa"]))
    if coefficient == "number":
        channel["coefficient"] = 300.0
    elif coefficient == "prior":
        channel["coefficient"] = draw(_PRIORS)
    elif coefficient == "time_varying":
        channel["coefficient"] = {"time_varying": {"type": "grw"}}
    elif coefficient == "both":
        tv = {"sigma": {"dist": "HalfNormal", "sigma": 0.05}}
        channel["coefficient"] = {**draw(_PRIORS), "time_varying": tv}
    elif coefficient == "cpa":
        channel["cpa"] = draw(_PRIORS)
    return channel


@st.composite
def _config(draw: st.DrawFn) -> dict:
    config = _example()
    config["channels"]["tv"] = draw(_channel())
    config["trend"] = draw(
        st.sampled_from(
            ["linear", "none", {"type": "none"}, {"slope": {"dist": "Normal", "mu": 0, "sigma": 1}}]
        )
    )
    if draw(st.booleans()):
        config["intercept"] = draw(
            st.sampled_from([{"dist": "Normal", "mu": 500, "sigma": 100}, {"time_varying": {}}])
        )
    if draw(st.booleans()):
        config["optimize"] = {
            "periods": draw(st.integers(1, 52)),
            "bounds": {"tv": [0.5, draw(st.sampled_from([None, 2.0]))]},
            "quantile": 0.25,
        }
    if draw(st.booleans()):
        config["refresh"] = {"from": "runs/example/latest", "widen": 3}
    if draw(st.booleans()):
        config["tracking"] = {"mlflow": {"uri": "mlruns", "experiment": "x"}}
    config["target"]["likelihood"] = draw(st.sampled_from(["normal", "student_t"]))
    return config


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=_config())
def test_what_the_tool_accepts_the_schema_accepts(validator, config):
    try:
        validate_config(config)
    except ConfigError:
        return  # cross-field rules (a cpa and a coefficient, say) are the tool's alone
    assert _problems(validator, config) == []


@pytest.mark.parametrize(
    "edit",
    [
        lambda c: c.update(chanels=c.pop("channels")),
        lambda c: c["channels"]["tv"].update(adstock={"type": "geometric", "alpah": 0.5}),
        lambda c: c["channels"]["tv"].update(saturation={"type": "hil"}),
        lambda c: c.update(trend="quadratic"),
        lambda c: c["channels"]["tv"].update(coefficient={"dist": "Gamma", "alpha": 2}),
        lambda c: c["sampler"].update(draws="many"),
        lambda c: c["channels"]["tv"]["coefficient"]["bounds"].update(mass=1.5),
    ],
)
def test_the_schema_refuses_what_is_structurally_wrong(validator, edit):
    config = _example()
    edit(config)
    with pytest.raises(ConfigError):
        validate_config(config)
    assert _problems(validator, config) != []


def test_schema_file_is_stable_json():
    a, b = invoke("schema").stdout, invoke("schema").stdout
    assert a == b and json.loads(a)
