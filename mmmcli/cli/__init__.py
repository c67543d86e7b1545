"""The ``mmm`` command line: Typer commands over ``workflows``, rendering in ``render``."""

from .app import app, main

__all__ = ["app", "main"]
