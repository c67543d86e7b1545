"""`mmm schema`: the config's JSON Schema on stdout."""

from __future__ import annotations

import json

from tests.helpers import invoke


def test_schema_is_json_schema_with_priors():
    result = invoke("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert "channels" in schema["properties"]
    prior = schema["$defs"]["Prior"]
    titles = {v["title"] for v in prior["oneOf"]}
    assert {"Gamma", "HalfNormal", "bounds"} <= titles
