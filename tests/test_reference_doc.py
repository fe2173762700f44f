"""docs/reference.md is generated from the layers; it must match them and list them all."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_reference", DOCS / "_reference.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_page_is_up_to_date() -> None:
    """The committed page equals the generator's output (regenerate: see its header)."""
    assert (DOCS / "reference.md").read_text() == _generator().render_reference()


def test_every_layer_is_listed() -> None:
    """Each exported layer class has an example on the page."""
    generator = _generator()
    listed = {type(layer).__name__ for rows in generator.FAMILIES.values() for layer, _ in rows}
    assert generator.exported_layers() - generator.NOT_LISTED - listed == set()
