"""Config validation: each mistake is one ConfigError naming the file and key, with a hint."""

from pathlib import Path

import pytest
import yaml

from mmmcli.errors import ConfigError
from mmmcli.spec.config import load_config
from tests.helpers import EXAMPLE, SAMPLE, with_calibration


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


# ---------------------------------------------------------------- the calibration section


def test_potential_is_refused_with_reason(twins):
    path = with_calibration(
        twins["plain"], [{"channel": "a", "path": "uplift_a.csv", "method": "potential"}]
    )
    with pytest.raises(ConfigError, match=r"calibration\.0\.method.*potential.*gradient"):
        load_config(path)


def test_unknown_channel_in_config(twins):
    path = with_calibration(twins["plain"], [{"channel": "tv", "path": "uplift_a.csv"}])
    with pytest.raises(ConfigError, match=r"calibration\.0\.channel: unknown channel 'tv'"):
        load_config(path)


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (
            {"periods": 13, "bounds": {"print": [0.5, 1.5]}},
            "optimize.bounds.print: unknown channel",
        ),
        ({"periods": 13, "bounds": {"tv": [2, 1]}}, "lower 2 is above upper 1"),
        ({"periods": 0}, "optimize.periods"),
        ({"budget": 1000}, "optimize.periods"),
        ({"periods": 13, "quantile": 1.2}, "optimize.quantile"),
        ({"periods": 13, "pattern": "weekly"}, "optimize.pattern"),
    ],
)
def test_optimize_block_is_validated(tmp_path, block, message):
    with pytest.raises(ConfigError, match=message):
        load_config(_example(tmp_path, lambda c: c.update(optimize=block)))


def test_optimize_block_loads(tmp_path):
    block = {"periods": 13, "bounds": {"tv": [0.5, None]}, "spend_bounds": {"search": [1e4, 5e4]}}
    cfg = load_config(_example(tmp_path, lambda c: c.update(optimize=block)))
    assert cfg.optimize is not None and cfg.optimize.bounds["tv"] == (0.5, None)
    assert cfg.optimize.pattern == "flat" and cfg.optimize.quantile is None
