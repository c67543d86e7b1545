"""The command line's contract under adversarial input, generated with Hypothesis.

Every example starts from a small valid project (``tests.datasets.tiny_project``) and breaks it:
config values replaced, removed or renamed (wrong types, NaN, infinities, huge and negative
numbers, strings, nested structures, unknown families and parameters, bounds at any scale,
a column put in two roles), the YAML text itself (duplicate keys, truncation, stray bytes,
other encodings, deep nesting), or the CSV files (cells, columns, rows, dates, encodings).

For each one:

* ``mmm check --json`` exits 0 or 2, never 1; nothing on stdout or stderr is a traceback; stdout
  is exactly one JSON object carrying the exit code; a failure is one ``error:`` line;
* ``mmm fit --json`` reaches the sampler exactly when ``check`` passed (the sampler is replaced
  by a stop here), and otherwise exits 2 with ``check``'s message, having written nothing.

The fast tier runs a fixed, derandomised set of examples per strategy; the ``slow`` tests run
many more.
"""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmmcli.spec.families import FAMILIES
from tests.datasets import tiny_project
from tests.helpers import ReachedSampler, invoke, stop_at_sampler

BASE = tiny_project()
CONFIG_NAME = "mmm.yaml"
# DEEP was 300; 150 keeps CI under 20 minutes with the stress corpus in the slow tier.
FAST, DEEP = 40, 100


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# ---------------------------------------------------------------- the contract


def assert_contract(files: dict[str, bytes]) -> dict:
    """The contract above for one project's files; returns ``check --json``'s object."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, content in files.items():
            (folder / name).write_bytes(content)
        config = folder / CONFIG_NAME

        check = invoke("check", config, "--json")
        shown = f"stdout: {check.stdout}\nstderr: {check.stderr}"
        assert check.exit_code in (0, 2), shown
        assert "Traceback" not in check.stdout + check.stderr, shown
        result = json.loads(check.stdout)  # exactly one JSON object
        assert isinstance(result, dict) and result["exit_code"] == check.exit_code, shown
        if check.exit_code == 2:
            lines = check.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: "), shown

        with pytest.MonkeyPatch.context() as patch:
            stop_at_sampler(patch)
            try:
                fit = invoke("fit", config, "--json", "--quiet")
                reached = False
            except ReachedSampler:
                reached = True
        assert reached == (check.exit_code == 0), shown
        if not reached:
            fitted = json.loads(fit.stdout)
            assert fit.exit_code == 2 and fitted["error"] == result["error"], fit.stdout
            assert not (folder / "runs").exists(), "fit wrote something before failing"
    return result


def _files(config: Any = None, text: bytes | None = None, **csv: bytes) -> dict[str, bytes]:
    out = {name: str(BASE[name]).encode() for name in ("data.csv", "uplift.csv", "lift.csv")}
    out.update(csv)
    if text is None:
        text = yaml.safe_dump(BASE["config"] if config is None else config).encode()
    out[CONFIG_NAME] = text
    return out


def test_the_base_project_is_valid():
    assert_contract(_files())


# ---------------------------------------------------------------- config values

FLOATS = st.floats(allow_nan=True, allow_infinity=True)
NUMBERS = st.one_of(
    FLOATS,
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, -1, 1, 0.5, 1e-300, 1e300, 2**63 - 1, 2**63, 2**64 + 1, -0.0]),
)
PARAM_NAMES = ("mu", "sigma", "alpha", "beta", "lam", "nu", "b", "lower", "upper", "k", "bogus")
PRIORS = st.one_of(
    st.builds(
        lambda dist, params: {"dist": dist, **params},
        st.sampled_from([*FAMILIES, "Bogus", "gamma"]),
        st.dictionaries(st.sampled_from(PARAM_NAMES), NUMBERS, max_size=4),
    ),
    st.builds(
        lambda dist, lo, hi, mass: {
            "bounds": {**({"dist": dist} if dist else {}), "lower": lo, "upper": hi, "mass": mass}
        },
        st.sampled_from([None, *FAMILIES]),
        NUMBERS,
        NUMBERS,
        st.one_of(st.just(0.95), NUMBERS),
    ),
)
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    NUMBERS,
    st.text(max_size=12),
    st.sampled_from(
        ["Gamma", "none", "geometric", "hill", "logistic", "W", "D", "2024-01-01", "1e3", "nan"]
    ),
    st.sampled_from(["y", "a_spend", "b_spend", "price", "date"]),  # columns in other roles
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    PRIORS,
)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


PATHS = _paths(BASE["config"]) + [
    ("sampler", "engine"),
    ("sampler", "target_accept"),
    ("sampler", "cores"),
    ("checks", "max_r_hat"),
    ("checks", "min_ess_bulk"),
    ("holdout", "periods"),
    ("hdi_prob",),
    ("data", "frequency"),
    ("target", "likelihood"),
    ("target", "sigma"),
    ("target", "nu"),
    ("intercept",),
    ("channels", "a", "coefficient"),
    ("channels", "a", "adstock", "alpha"),
    ("channels", "a", "saturation", "k"),
    ("channels", "a", "saturation", "slope"),
    ("channels", "a", "spend_scale"),
    ("channels", "b", "coefficient", "time_varying"),
    ("channels", "b", "coefficient", "time_varying", "sigma"),
    ("seasonality", "coefficient"),
    ("controls", "price", "coefficient"),
    ("calibration", 0, "method"),
    ("calibration", 0, "sigma"),
    ("calibration", 1, "channel"),
    ("channels", "c"),
    ("unknown_key",),
]

MUTATIONS = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(PATHS), VALUES),
    st.tuples(st.just("delete"), st.sampled_from(PATHS), st.none()),
    st.tuples(st.just("rename"), st.sampled_from(PATHS), st.text(min_size=1, max_size=8)),
)


def _apply(config: dict, mutation: tuple) -> None:
    action, path, value = mutation
    node: Any = config
    for key in path[:-1]:
        if isinstance(node, dict):
            if not isinstance(node.get(key), dict | list):
                node[key] = {}
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            return
    last = path[-1]
    if isinstance(node, list) and not (isinstance(last, int) and last < len(node)):
        return
    if action == "set":
        node[last] = value
    elif isinstance(node, dict) and last in node:
        moved = node.pop(last)
        if action == "rename":
            node[value] = moved
    elif isinstance(node, list) and action == "delete":
        node.pop(last)


def _mutated_config(mutations: list[tuple]) -> dict[str, bytes]:
    config = json.loads(json.dumps(BASE["config"]))
    for mutation in mutations:
        _apply(config, mutation)
    return _files(config)


CONFIGS = st.lists(MUTATIONS, min_size=1, max_size=3).map(_mutated_config)


@_settings(FAST)
@given(CONFIGS)
def test_mutated_configs_keep_the_contract(files):
    assert_contract(files)


@pytest.mark.slow
@_settings(DEEP)
@given(CONFIGS)
def test_mutated_configs_keep_the_contract_deep(files):
    assert_contract(files)


# ---------------------------------------------------------------- the YAML text

BASE_TEXT = yaml.safe_dump(BASE["config"])


def _broken_text(kind: str, at: float, junk: str) -> dict[str, bytes]:
    lines = BASE_TEXT.splitlines(keepends=True)
    i = int(at * (len(lines) - 1))
    cut = int(at * len(BASE_TEXT))
    text: bytes
    if kind == "duplicate line":
        text = "".join([*lines[: i + 1], lines[i], *lines[i + 1 :]]).encode()
    elif kind == "truncate":
        text = BASE_TEXT[:cut].encode()
    elif kind == "insert":
        text = (BASE_TEXT[:cut] + junk + BASE_TEXT[cut:]).encode()
    elif kind == "utf-16":
        text = BASE_TEXT.encode("utf-16")
    elif kind == "latin-1":
        text = (BASE_TEXT + f"# caf\xe9 {junk}\n").encode("latin-1", errors="replace")
    elif kind == "bytes":
        text = BASE_TEXT.encode()[:cut] + bytes([0, 255, 254, 10]) + BASE_TEXT.encode()[cut:]
    elif kind == "nesting":
        text = (BASE_TEXT + "extra: " + "[" * 3000 + "]" * 3000 + "\n").encode()
    elif kind == "tag":
        text = (BASE_TEXT + "evil: !!python/object/apply:os.system ['true']\n").encode()
    else:  # empty
        text = b""
    return _files(text=text)


TEXTS = st.builds(
    _broken_text,
    st.sampled_from(
        [
            "duplicate line",
            "truncate",
            "insert",
            "utf-16",
            "latin-1",
            "bytes",
            "nesting",
            "tag",
            "empty",
        ]
    ),
    st.floats(min_value=0, max_value=1),
    st.text(max_size=6),
)


@_settings(FAST // 2)  # nine kinds of damage
@given(TEXTS)
def test_broken_yaml_keeps_the_contract(files):
    assert_contract(files)


# ---------------------------------------------------------------- the CSV files

CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            "nan",
            "inf",
            "-inf",
            "1e400",
            "-5",
            "0",
            "abc",
            "1,000",
            " 5 ",
            "1e308",
            "1e-320",
            "2024-13-45",
            "2024-01-01",
            "2024-01-01T00:00:00+05:00",
            "NULL",
            "true",
            "١٢٣",
        ]
    ),
    FLOATS.map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.text(max_size=8),
)


def _table(name: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(str(BASE[name])), dtype=str, keep_default_na=False)


CSV_EDITS = st.one_of(
    st.tuples(st.just("cell"), st.integers(0, 40), st.integers(0, 6), CELLS),
    st.tuples(st.just("drop column"), st.integers(0, 6), st.none(), st.none()),
    st.tuples(st.just("rename column"), st.integers(0, 6), st.none(), st.text(max_size=6)),
    st.tuples(st.just("duplicate row"), st.integers(0, 40), st.none(), st.none()),
    st.tuples(st.just("keep rows"), st.integers(0, 40), st.none(), st.none()),
    st.tuples(st.just("swap rows"), st.integers(0, 40), st.integers(0, 40), st.none()),
    st.tuples(
        st.just("date format"), st.sampled_from(["%d/%m/%Y", "%s", "%Y%m%d"]), st.none(), st.none()
    ),
)


def _edit(frame: pd.DataFrame, edit: tuple) -> pd.DataFrame:
    action, i, j, value = edit
    rows, cols = len(frame), len(frame.columns)
    if action == "cell" and rows and cols:
        frame.iat[i % rows, j % cols] = value
    elif action == "drop column" and cols:
        frame = frame.drop(columns=frame.columns[i % cols])
    elif action == "rename column" and cols:
        frame = frame.rename(columns={frame.columns[i % cols]: value})
    elif action == "duplicate row" and rows:
        frame = pd.concat([frame, frame.iloc[[i % rows]]], ignore_index=True)
    elif action == "keep rows":
        frame = frame.iloc[: i % (rows + 1)]
    elif action == "swap rows" and rows:
        order = list(range(rows))
        order[i % rows], order[j % rows] = order[j % rows], order[i % rows]
        frame = frame.iloc[order]
    elif action == "date format" and "date" in frame and rows:
        parsed = pd.to_datetime(frame["date"], errors="coerce", format="%Y-%m-%d")
        frame["date"] = parsed.dt.strftime(i).fillna("")
    return frame


def _mutated_csv(name: str, edits: list[tuple], encoding: str) -> dict[str, bytes]:
    frame = _table(name)
    for edit in edits:
        frame = _edit(frame, edit)
    text = frame.to_csv(index=False)
    if encoding == "truncated":
        content = text.encode()[: len(text) // 2]
    elif encoding == "nul":
        content = text.encode().replace(b",", b"\x00,", 1)
    else:
        content = text.encode(encoding, errors="replace")
    return _files(**{name: content})


DATA = st.builds(
    _mutated_csv,
    st.sampled_from(["data.csv", "data.csv", "data.csv", "uplift.csv", "lift.csv"]),
    st.lists(CSV_EDITS, min_size=0, max_size=3),
    st.sampled_from(
        ["utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1", "truncated", "nul"]
    ),
)


@_settings(FAST)
@given(DATA)
def test_mutated_data_files_keep_the_contract(files):
    assert_contract(files)


@pytest.mark.slow
@_settings(DEEP // 5)
@given(TEXTS)
def test_broken_yaml_keeps_the_contract_deep(files):
    assert_contract(files)


@pytest.mark.slow
@_settings(DEEP)
@given(DATA)
def test_mutated_data_files_keep_the_contract_deep(files):
    assert_contract(files)
