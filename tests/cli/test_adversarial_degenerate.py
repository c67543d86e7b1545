"""The adversarial suite (``test_adversarial``), continued: sampler settings and degenerate data.

Both strategies start from the same tiny project and hold the same contract (``check`` exits 0
or 2 with one line; ``fit`` reaches the sampler exactly when ``check`` passed, else the same
error), and each also has an oracle computed from the generated input alone:

* **sampler settings** (``chains``, ``draws``, ``tune`` in the config, on the command line or
  both, with or without ``--quick``): accepted exactly when each is in its range, there are at
  least 25 draws in all (PSIS-LOO) and, with the convergence checks on, at least 2 chains
  (r_hat); a refusal names the field (``sampler.draws`` or ``--draws``). ``validate`` agrees
  with ``check`` too. Every generated case stops at the sampler; ``test_tiny_settings_sample``
  samples a handful for real.
* **degenerate targets** (constant, constant over the fitted periods only, a handful of moving
  periods, negative values, a flipped sign, missing or infinite cells; with a constant or an
  unfunded channel, for both target kinds): refused exactly when the data say so, naming
  ``data.csv`` and the column; warned about when legitimate but risky.
"""

from __future__ import annotations

import io
import json
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.cli.test_adversarial import BASE, CONFIG_NAME, _files, _settings, assert_contract
from tests.helpers import ReachedSampler, invoke, stop_at_sampler

SAMPLER_CASES, TARGET_CASES = 6, 10  # generated cases in CI (besides the explicit examples);
# the slow tier runs 5x as many
QUICK = {"chains": 2, "draws": 200, "tune": 200}  # workflows.prepare.QUICK
SAMPLER_FIELDS = ("chains", "draws", "tune")

# ---------------------------------------------------------------- sampler settings

COUNTS = st.one_of(
    st.sampled_from([0, 1, 2, 4, 9, 10, 12, 13, 20, 24, 25, 26, 65]),
    st.integers(min_value=-2, max_value=80),
)
SETTINGS = st.fixed_dictionaries({}, optional={k: COUNTS for k in SAMPLER_FIELDS})


def _accepted(config: dict, flags: dict, quick: bool) -> bool:
    """The oracle: what the sampler settings must be for a fit to run and be analysed. The
    config's own values are checked as it is read, before ``--quick`` and flags apply."""
    ranges = {"chains": (1, 64), "draws": (10, 10**6), "tune": (10, 10**6)}
    written = {**BASE["config"]["sampler"], **config}
    values = {**written, **(QUICK if quick else {}), **flags}
    for settings in (written, values):
        if any(not lo <= settings[k] <= hi for k, (lo, hi) in ranges.items()):
            return False
    return values["chains"] * values["draws"] >= 25 and (quick or values["chains"] >= 2)


def _sampler_files(config: dict) -> dict[str, bytes]:
    raw = json.loads(json.dumps(BASE["config"]))
    raw["sampler"].update(config)
    return _files(raw)


def _reaches_sampler(command: list, path: Path, options: list[str]) -> tuple[bool, Any]:
    with pytest.MonkeyPatch.context() as patch:
        stop_at_sampler(patch)
        try:
            return False, invoke(*command, path, "--json", "--quiet", *options)
        except ReachedSampler:
            return True, None


def assert_sampler_contract(config: dict, flags: dict, quick: bool) -> None:
    """``check`` (which reads the config's sampler block, as a checked fit) against the oracle;
    ``fit`` and ``validate`` agree with it, and with the oracle under their own flags."""
    options = [f"--{k}={v}" for k, v in flags.items()] + (["--quick"] if quick else [])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, content in _sampler_files(config).items():
            (folder / name).write_bytes(content)
        path = folder / CONFIG_NAME
        check = invoke("check", path, "--json")
        shown = f"{config} {options}\nstdout: {check.stdout}\nstderr: {check.stderr}"
        assert check.exit_code == (0 if _accepted(config, {}, False) else 2), shown
        error = json.loads(check.stdout).get("error")
        plain = ([], check.exit_code == 0)  # what check accepts, fit runs
        flagged = (options, _accepted(config, flags, quick))  # flags: only fit and validate
        validate = ["validate", "--folds", "1", "--horizon", "4"]
        runs = [(["fit"], plain)]
        runs += [(["fit"], flagged), (validate, flagged)] if options else [(validate, plain)]
        for command, (given, expected) in runs:
            reached, result = _reaches_sampler(command, path, given)
            assert reached == expected, f"{command[0]} {given}: {shown}"
            if reached:
                continue
            assert result.exit_code == 2, result.stdout
            said = json.loads(result.stdout)["error"]
            (line,) = result.stderr.strip().splitlines()
            named = [f"--{k}" for k in flags] + [f"sampler.{k}" for k in SAMPLER_FIELDS]
            assert line == f"error: {said}" and any(n in said for n in named), line
            assert given or said == error, result.stdout  # fit says what check said
        assert not (folder / "runs").exists()


@_settings(SAMPLER_CASES)
@given(SETTINGS, SETTINGS, st.booleans())
@example({"chains": 2, "draws": 10}, {}, False)  # the config: check accepted it
@example({}, {"draws": 10, "chains": 2, "tune": 10}, False)
@example({}, {"draws": 20, "chains": 1}, True)
@example({"chains": 1}, {}, False)  # r_hat cannot be checked
def test_sampler_settings_keep_the_contract(config, flags, quick):
    assert_sampler_contract(config, flags, quick)


@pytest.mark.slow
@_settings(5 * SAMPLER_CASES)
@given(SETTINGS, SETTINGS, st.booleans())
def test_sampler_settings_keep_the_contract_deep(config, flags, quick):
    assert_sampler_contract(config, flags, quick)


@pytest.mark.sampling
def test_tiny_settings_sample(tmp_path):
    """The smallest settings accepted, sampled for real: exit 0 or 3, never an internal error.
    (Before: 2 chains x 10 draws, which `check` accepted, ended in exit 1 from ArviZ's LOO.)"""
    for name, content in _sampler_files({"chains": 2, "draws": 13, "tune": 10}).items():
        (tmp_path / name).write_bytes(content)
    path = tmp_path / CONFIG_NAME
    assert invoke("check", path).exit_code == 0
    runs = [
        (["fit", "--quick", "--chains", "1", "--draws", "25"], 0),  # unchecked: one chain is fine
        (["fit"], 3),  # 26 draws cannot reach an ESS of 400: failed, diagnosed, written
        (["validate", "--folds", "1", "--horizon", "4"], 3),
    ]
    for (command, *args), code in runs:
        result = invoke(command, path, "--json", "--quiet", *args)
        assert result.exit_code == code, result.stdout + result.stderr
        assert result.stderr == "" and json.loads(result.stdout)["exit_code"] == code


# ---------------------------------------------------------------- degenerate targets

N = 30  # periods in the tiny project
LEVELS = st.sampled_from([0.0, 1.0, -4.0, 100.0, 123.45])
EDITS = {  # how the target is broken -> what the number drawn with it means
    "constant": LEVELS,  # the level everywhere
    "flat fitted": LEVELS,  # the level over the fitted periods, the holdout as it was
    "moving in": LEVELS,  # the level except in ``count`` periods spread over the fit
    "negative in": st.none(),  # ``count`` periods negated
    "scaled": st.sampled_from([-1.0, -0.01, 1e-3, 1e4]),  # a flipped sign, other units
    "cell": st.sampled_from(["", "nan", "inf", "-inf", "1e400"]),  # in period ``count``
    "unchanged": st.none(),
}
TARGETS = st.sampled_from(list(EDITS)).flatmap(
    lambda kind: st.tuples(st.just(kind), EDITS[kind], st.integers(0, N - 1))
)
CHANNELS = st.sampled_from(  # mostly none: the target's own cases come first
    [None, None, None, ("constant", "a"), ("constant", "b"), ("zero fitted", "a"), ("zero", "b")]
)


def _target(y: np.ndarray, edit: tuple, n_train: int) -> list[str]:
    kind, value, count = edit
    y = y.copy()
    if kind == "constant":
        y[:] = value
    elif kind == "flat fitted":
        y[:n_train] = value
    elif kind == "moving in":
        keep = np.unique(np.linspace(0, n_train - 1, count).round().astype(int)) if count else []
        moved = np.full(N, value)
        moved[keep] = y[keep]
        moved[n_train:] = y[n_train:]
        y = moved
    elif kind == "negative in":
        y[np.linspace(0, N - 1, count + 1).round().astype(int)] *= -1
    elif kind == "scaled":
        y *= value
    cells = [repr(float(v)) for v in y]
    if kind == "cell":
        cells[count] = value
    return cells


@cache
def _free_parameters() -> int:
    """The tiny model's free parameters, as ``mmm check`` counts them (built once)."""
    from mmmcli.model.build import build_model
    from mmmcli.spec.config import load_config
    from mmmcli.workflows.prepare import free_dimensions, prepare

    with tempfile.TemporaryDirectory() as tmp:
        for name, content in _files().items():
            (Path(tmp) / name).write_bytes(content)
        cfg = load_config(Path(tmp) / CONFIG_NAME)
        return sum(free_dimensions(build_model(cfg, *prepare(cfg))).values())


def _expected(cells: list[str], kind: str, n_train: int, spend: pd.DataFrame) -> tuple[int, str]:
    """The oracle: (exit code, what the error names) from the generated data alone."""
    y = np.array([float(c) if c not in ("", "nan") else np.nan for c in cells])
    fitted = y[:n_train]
    if not np.isfinite(y).all() or (kind == "conversions" and (y < 0).any()):
        return 2, "column 'y'"
    if np.ptp(fitted) == 0 or not fitted.sum() > 1e-9 * np.abs(fitted).sum():
        return 2, "column 'y' (the target)"
    for column in ("a_spend", "b_spend"):
        if not (spend[column].to_numpy(dtype=float)[:n_train] > 0).any():
            return 2, f"column {column!r}"
    values, counts = np.unique(fitted, return_counts=True)
    moving = n_train - counts.max() if counts.max() > 1 else n_train
    return (2, "column 'y' (the target)") if moving < _free_parameters() else (0, "")


def _degenerate_files(edit: tuple, channel: tuple | None, kind: str, holdout: int):
    frame = pd.read_csv(io.StringIO(str(BASE["data.csv"])))
    n_train = N - holdout
    if channel is not None:
        how, name = channel
        column = frame[f"{name}_spend"].to_numpy(dtype=float, copy=True)
        if how == "constant":
            column[:] = round(float(column.mean()), 2)
        else:
            column[: n_train if how == "zero fitted" else N] = 0.0
        frame[f"{name}_spend"] = column
    cells = _target(frame["y"].to_numpy(dtype=float), edit, n_train)
    frame["y"] = cells
    config = json.loads(json.dumps(BASE["config"]))
    config["target"]["kind"] = kind
    config["holdout"] = {"periods": holdout}
    files = _files(config, **{"data.csv": frame.to_csv(index=False).encode()})
    return files, cells, _expected(cells, kind, n_train, frame)


def assert_degenerate_contract(edit, channel, kind, holdout) -> None:
    files, cells, (code, named) = _degenerate_files(edit, channel, kind, holdout)
    out = assert_contract(files)  # check and fit agree; errors are one line; nothing written
    shown = f"{edit} {channel} {kind} holdout {holdout}: {out}"
    assert out["exit_code"] == code, shown
    if code == 2:
        assert "data.csv" in out["error"] and named in out["error"], shown
        return
    kinds = {f["kind"] for f in out["screening"]}
    fitted = np.array([float(c) for c in cells])[: N - holdout]
    at_mode = np.unique(fitted, return_counts=True)[1].max()
    assert ("target" in kinds) == (at_mode > 0.5 * len(fitted) or (fitted < 0).any()), shown
    if channel is not None and channel[0] == "constant":
        assert "flat" in kinds, shown


KINDS = st.sampled_from(["revenue", "conversions"])
HOLDOUTS = st.sampled_from([0, 4])


@_settings(TARGET_CASES)
@given(TARGETS, CHANNELS, KINDS, HOLDOUTS)
@example(("constant", 0.0, 0), None, "revenue", 0)  # the case: CPAs of 5e11
@example(("moving in", 0.0, 6), None, "conversions", 0)  # a handful of non-zero weeks
@example(("flat fitted", 100.0, 0), None, "revenue", 4)
@example(("unchanged", None, 0), ("zero fitted", "a"), "revenue", 4)
@example(("moving in", 0.0, 14), ("constant", "b"), "conversions", 0)  # two warnings
@example(("negative in", None, 1), None, "revenue", 4)  # refunds: a warning
def test_degenerate_targets_keep_the_contract(edit, channel, kind, holdout):
    assert_degenerate_contract(edit, channel, kind, holdout)


@pytest.mark.slow
@_settings(5 * TARGET_CASES)
@given(TARGETS, CHANNELS, KINDS, HOLDOUTS)
def test_degenerate_targets_keep_the_contract_deep(edit, channel, kind, holdout):
    assert_degenerate_contract(edit, channel, kind, holdout)
