"""The public names: one list, loaded lazily, the same for type checkers and at run time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import paramcalc

INIT = Path(paramcalc.__file__)


def _type_checking_imports() -> dict[str, set[str]]:
    tree = ast.parse(INIT.read_text())
    block = next(node for node in tree.body if isinstance(node, ast.If))
    homes: dict[str, set[str]] = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom)
        assert node.module is not None
        homes.setdefault(node.module, set()).update(alias.name for alias in node.names)
    return homes


def test_all_lists_every_home() -> None:
    """__all__, the lazy table and the TYPE_CHECKING imports name the same things."""
    lazy = {module: set(names) for module, names in paramcalc._HOMES.items()}
    assert _type_checking_imports() == lazy
    assert set(paramcalc.__all__) == {"__version__"} | set(paramcalc._WHERE)


def test_every_name_resolves_to_its_home() -> None:
    """Each public name loads from the module the table names."""
    for name, module in paramcalc._WHERE.items():
        value = getattr(paramcalc, name)
        assert getattr(sys.modules[module], name) is value


def test_unknown_name_is_an_attribute_error() -> None:
    """A typo fails like any missing attribute."""
    with pytest.raises(AttributeError, match="no attribute 'Conv2D'"):
        _ = paramcalc.Conv2D


def test_import_loads_no_layer_module() -> None:
    """`import paramcalc` alone loads nothing of the library (it is instant)."""
    code = (
        "import sys, paramcalc; print(sorted(m for m in sys.modules if m.startswith('paramcalc.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_zoo_loads_only_the_family_used() -> None:
    """`zoo.get("gpt2")` loads the language models, not the vision ones."""
    code = (
        "import sys; from paramcalc import zoo; zoo.get('gpt2'); "
        "print('paramcalc.zoo.vision' in sys.modules, 'paramcalc.zoo.language' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
