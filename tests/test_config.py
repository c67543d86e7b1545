"""Config and data errors: exit 2, one line naming the file and key or column, nothing written."""

from pathlib import Path

import pytest
import yaml

from mmmcli.errors import ConfigError, DataError
from mmmcli.inputs.data import load_data
from mmmcli.spec.config import load_config
from tests.conftest import EXAMPLE, SAMPLE, run_mmm, write_config


def _cfg(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return path


def _example(tmp_path: Path, mutate) -> Path:
    cfg = yaml.safe_load(EXAMPLE.read_text())
    cfg["data"]["path"] = str(SAMPLE / "weekly.csv")
    mutate(cfg)
    return _cfg(tmp_path, yaml.safe_dump(cfg))


def test_example_config_loads():
    cfg = load_config(EXAMPLE)
    assert cfg.name == "example" and list(cfg.channels) == ["tv", "radio", "social", "search"]
    assert cfg.resolve(cfg.data.path).is_file()


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")


def test_yaml_syntax_error_names_line(tmp_path):
    path = _cfg(tmp_path, "name: x\ndata: {path: a.csv\ntarget: 3\n")
    with pytest.raises(ConfigError, match=r"c\.yaml: line \d+"):
        load_config(path)


def test_python_tag_is_refused_not_executed(tmp_path):
    marker = tmp_path / "pwned"
    path = _cfg(tmp_path, f"name: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(ConfigError):
        load_config(path)
    assert not marker.exists()


def test_unknown_key_suggests(tmp_path):
    path = _example(tmp_path, lambda c: c["channels"]["tv"].update(adstok={"type": "geometric"}))
    with pytest.raises(
        ConfigError, match=r"channels\.tv\.adstok: unknown key \(did you mean 'adstock'\?\)"
    ):
        load_config(path)


def test_unknown_transform_parameter(tmp_path):
    path = _example(tmp_path, lambda c: c["channels"]["tv"]["adstock"].update(alfa=0.3))
    with pytest.raises(ConfigError, match=r"channels\.tv\.adstock.*alfa.*did you mean 'alpha'"):
        load_config(path)


def test_unknown_distribution(tmp_path):
    path = _example(
        tmp_path,
        lambda c: c["channels"]["tv"].update(coefficient={"dist": "Gama", "alpha": 1, "beta": 1}),
    )
    with pytest.raises(
        ConfigError, match=r"channels\.tv\.coefficient.*'Gama'.*did you mean 'Gamma'"
    ):
        load_config(path)


def test_bad_distribution_parameter(tmp_path):
    path = _example(
        tmp_path, lambda c: c.update(intercept={"dist": "Normal", "mu": 0, "sigma": -1})
    )
    with pytest.raises(ConfigError, match=r"intercept.*sigma must be > 0"):
        load_config(path)


def test_missing_required_key(tmp_path):
    path = _example(tmp_path, lambda c: c.pop("target"))
    with pytest.raises(ConfigError, match="target: required key is missing"):
        load_config(path)


def test_invalid_sampler_setting(tmp_path):
    path = _example(tmp_path, lambda c: c["sampler"].update(target_accept=1.5))
    with pytest.raises(ConfigError, match="sampler.target_accept"):
        load_config(path)


def _data(tmp_path: Path, edit) -> Path:
    lines = (SAMPLE / "weekly.csv").read_text().splitlines()
    lines = edit(lines)
    csv = tmp_path / "d.csv"
    csv.write_text("\n".join(lines) + "\n")
    cfg = yaml.safe_load(EXAMPLE.read_text())
    cfg["data"]["path"] = str(csv)
    return _cfg(tmp_path, yaml.safe_dump(cfg))


def _replace_cell(lines, row, col, value):
    cells = lines[row].split(",")
    cells[col] = value
    lines[row] = ",".join(cells)
    return lines


@pytest.mark.parametrize(
    "edit, pattern",
    [
        (lambda ls: ls[:5] + ls[6:], r"missing period|irregular|do not follow"),
        (lambda ls: ls[:5] + [ls[4]] + ls[5:], r"line 6: duplicate period"),
        (lambda ls: _replace_cell(ls, 7, 2, "abc"), r"line 8: column 'tv_spend' is not a number"),
        (lambda ls: _replace_cell(ls, 7, 3, ""), r"line 8: column 'radio_spend' is missing"),
        (
            lambda ls: _replace_cell(ls, 9, 4, "-5"),
            r"line 10: column 'social_spend'.*negative spend",
        ),
        (
            lambda ls: _replace_cell(ls, 3, 0, "not-a-date"),
            r"line 4: column 'date': cannot parse date",
        ),
        (
            lambda ls: [ls[0].replace("search_spend", "search_cost")] + ls[1:],
            r"column 'search_spend' not found \(did you mean 'search_cost'\?\)",
        ),
        (lambda ls: ls[:1], r"no data rows"),
    ],
    ids=[
        "gap",
        "duplicate",
        "non-numeric",
        "missing-value",
        "negative",
        "bad-date",
        "column",
        "empty",
    ],
)
def test_data_errors(tmp_path, edit, pattern):
    cfg = load_config(_data(tmp_path, edit))
    with pytest.raises(DataError, match=pattern) as err:
        load_data(cfg)
    assert "d.csv" in str(err.value)


def test_cli_bad_config_exits_2_and_writes_nothing(tmp_path):
    path = write_config(
        tmp_path,
        channels={
            "tv": {
                "spend": "tv_spend",
                "coefficient": {"bounds": {"dist": "HalfNormal", "lower": 3, "upper": 10}},
            }
        },
    )
    proc = run_mmm("fit", str(path), "--quick")
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and "HalfNormal" in lines[0] and "52.2%" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "runs").exists()


def test_cli_missing_config_exits_2(tmp_path):
    proc = run_mmm("fit", str(tmp_path / "missing.yaml"))
    assert proc.returncode == 2 and "not found" in proc.stderr and "Traceback" not in proc.stderr
