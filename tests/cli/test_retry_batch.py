"""``--no-retry`` on a batch: forwarded to every config's ``mmm fit``; a retried fit says so in
the batch's line. No sampling: the batch's fits are intercepted."""

from __future__ import annotations

from rich.console import Console

import mmmcli.workflows.batch as batch
from mmmcli.cli import render
from mmmcli.errors import UsageError
from mmmcli.workflows.batch import Item
from tests.helpers import example_config, invoke


def _forwarded(tmp_path, monkeypatch, *options: str) -> list[str]:
    seen: dict[str, list[str]] = {}

    def capture(configs, fit_args, **kwargs):
        seen["args"] = fit_args
        raise UsageError("stopped before fitting")

    monkeypatch.setattr(batch, "fit_many", capture)
    (tmp_path / "a").mkdir(exist_ok=True)
    (tmp_path / "b").mkdir(exist_ok=True)
    configs = [example_config(tmp_path / "a"), example_config(tmp_path / "b")]
    result = invoke("fit", *configs, *options)
    assert result.exit_code == 2 and "stopped before fitting" in result.stderr
    return seen["args"]


def test_no_retry_is_forwarded_to_each_fit_of_a_batch(tmp_path, monkeypatch):
    assert "--no-retry" in _forwarded(tmp_path, monkeypatch, "--no-retry", "--quick")
    assert "--no-retry" not in _forwarded(tmp_path, monkeypatch, "--quick")


def test_a_retried_fit_says_so_in_the_batch_line():
    attempts = [
        {"settings": {"target_accept": 0.9}, "divergences": 1, "status": "failed"},
        {"settings": {"target_accept": 0.97}, "divergences": 0, "status": "passed"},
    ]
    item = Item("brand.yaml", 0, "passed", 41.0, "runs/brand/x", result={"attempts": attempts})
    assert item.headline()["retried"]
    console = Console(record=True, width=200)
    render.batch_line(console, item)
    assert "(retried once: 1 divergence at target_accept 0.9; passed at 0.97)" in (
        console.export_text()
    )
    once = Item("brand.yaml", 0, "passed", 30.0, "runs/brand/y", result={"attempts": attempts[1:]})
    console = Console(record=True, width=200)
    render.batch_line(console, once)
    assert "retried" not in console.export_text() and not once.headline()["retried"]
