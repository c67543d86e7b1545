"""``sampler.retry``: on by default, switched off by ``false`` or ``max: 0``, one retry at most,
and the JSON Schema accepts what the tool accepts."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from mmmcli.errors import ConfigError
from mmmcli.spec.config import validate_config
from tests.helpers import EXAMPLE, invoke


def _config(retry: object) -> dict:
    raw = yaml.safe_load(EXAMPLE.read_text())
    raw["data"]["path"] = "weekly.csv"
    raw["sampler"]["retry"] = retry
    return raw


@pytest.mark.parametrize(
    "given, expected",
    [
        (True, (1, 0.97)),
        (False, (0, 0.97)),
        ({"max": 0}, (0, 0.97)),
        ({"target_accept": 0.99}, (1, 0.99)),
        ({}, (1, 0.97)),
    ],
)
def test_retry_forms(given, expected):
    retry = validate_config(_config(given)).sampler.retry
    assert (retry.max, retry.target_accept) == expected


def test_the_default_is_one_retry_at_097():
    raw = yaml.safe_load(EXAMPLE.read_text())
    retry = validate_config(raw).sampler.retry
    assert (retry.max, retry.target_accept) == (1, 0.97)


@pytest.mark.parametrize(
    "given, said",
    [
        ({"max": 2}, r"sampler\.retry\.max: must be <= 1, got 2$"),
        ({"target_accept": 1.0}, r"sampler\.retry\.target_accept: must be < 1\.0, got 1\.0$"),
        ({"tries": 1}, r"sampler\.retry\.tries: unknown key"),
        ("twice", r"sampler\.retry: must be a block of keys \(a mapping\), got 'twice'$"),
    ],
)
def test_bad_retry_blocks_are_one_line_errors(given, said):
    with pytest.raises(ConfigError, match=said):
        validate_config(_config(given))


def test_the_schema_takes_both_forms():
    schema = json.loads(invoke("schema").stdout)
    validator = jsonschema.Draft202012Validator(schema)
    for ok in (False, True, {"max": 0, "target_accept": 0.98}):
        assert list(validator.iter_errors(_config(ok))) == []
    assert list(validator.iter_errors(_config({"max": 2}))) != []
    assert list(validator.iter_errors(_config("twice"))) != []
