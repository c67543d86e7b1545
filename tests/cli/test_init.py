"""`mmm init`: a valid project scaffolded, never over existing files."""

from __future__ import annotations

from mmmcli.spec.config import load_config
from tests.helpers import invoke


def test_init_scaffolds_a_valid_project(tmp_path):
    result = invoke("init", tmp_path / "proj")
    assert result.exit_code == 0, result.stderr
    config = tmp_path / "proj" / "mmm.yaml"
    assert config.is_file()
    check = invoke("check", config)
    assert check.exit_code == 0, check.stderr
    again = invoke("init", tmp_path / "proj")
    assert again.exit_code == 2 and "already exists" in again.stderr


def test_init_sanitises_name(tmp_path):
    result = invoke("init", tmp_path / "_proj")
    assert result.exit_code == 0, result.stderr
    assert load_config(tmp_path / "_proj" / "mmm.yaml").name == "proj"


def test_init_refuses_an_empty_name(tmp_path, monkeypatch):
    """``mmm init "$DIR"`` with DIR unset: the current folder must not be scaffolded."""
    monkeypatch.chdir(tmp_path)
    for name in ("", "  "):
        result = invoke("init", name)
        assert result.exit_code == 2
        assert result.stderr.startswith("error: DIRECTORY: is empty;")
    assert list(tmp_path.iterdir()) == []
