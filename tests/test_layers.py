"""The package's layers only look down: each folder imports from the ones below it, never above.

The order is the pipeline's (see ``mmmcli/__init__.py``). The spec also stays free of the
modelling stack, so a config validates without PyMC, PyTensor or SciPy's distributions.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mmmcli"
FOUNDATIONS = ("errors", "interrupts", "jsonsafe", "version")
LAYERS = (
    "spec",
    "inputs",
    "priors",
    "model",
    "sampling",
    "analysis",
    "decisions",
    "runs",
    "report",
    "tracking",
    "workflows",
    "cli",
)
MODELLING_STACK = ("pymc", "pytensor", "numba", "nutpie", "arviz", "scipy", "matplotlib")


def _layer(module: str) -> int | None:
    """Rank of ``mmmcli.<part>...``: foundations 0, then the layers in order; None: the facade."""
    parts = module.split(".")
    if parts == ["mmmcli"] or parts[1] == "__main__":
        return None
    if parts[1] in FOUNDATIONS:
        return 0
    return 1 + LAYERS.index(parts[1])


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out.append((".".join(parts), path))
    return out


def _imports(module: str, path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every import of the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if node.module is None or target == "mmmcli":  # from . import x: x is a module
                found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, target))
    return found


def test_every_module_belongs_to_a_layer():
    for module, _ in _modules():
        if module != "mmmcli" and module.split(".")[1] not in (*FOUNDATIONS, *LAYERS, "__main__"):
            pytest.fail(f"{module}: not in a known layer; add its folder to LAYERS")


def test_no_module_imports_from_a_layer_above_it():
    upward = []
    for module, path in _modules():
        rank = _layer(module)
        if rank is None:
            continue
        for line, target in _imports(module, path):
            if not target.startswith("mmmcli"):
                continue
            other = _layer(target)
            if other is None:
                upward.append(f"{path.name}:{line} {module} imports the package facade {target}")
            elif other > rank:
                upward.append(f"{path.relative_to(PACKAGE)}:{line} {module} -> {target}")
    assert not upward, "imports reaching up a layer:\n" + "\n".join(upward)


def test_spec_does_not_import_the_modelling_stack():
    heavy = []
    for module, path in _modules():
        if _layer(module) not in (0, 1):
            continue
        for line, target in _imports(module, path):
            if target.split(".")[0] in MODELLING_STACK:
                heavy.append(f"{module}:{line} imports {target}")
    assert not heavy, heavy


def test_a_config_validates_without_loading_pymc():
    code = (
        "import sys; from mmmcli import load_config; "
        "load_config('configs/calibrated.yaml'); "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({MODELLING_STACK!r})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PACKAGE.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[]", out.stdout
