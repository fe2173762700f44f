"""The shape of the house: imports run one way, modules stay small.

Every ``import`` in every paramcalc module counts, wherever it is written:
at the top, inside a function, under ``if TYPE_CHECKING:``. A module may not
import, at any depth, a module that imports it back. Lower modules reach
upper ones only through :mod:`paramcalc.seam` (by dotted name, on first use).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import paramcalc
from paramcalc import registry, seam

ROOT = Path(paramcalc.__file__).parent
MAX_LINES = 1000  # an alarm, not a rule: a module holds one concept (issue 18)


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _target(name: str) -> str | None:
    """The paramcalc module ``name`` refers to (a module, or a name in one)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str) -> set[str]:
    """The paramcalc modules ``module`` imports, anywhere in its text."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            # ``from paramcalc import zoo`` imports the module paramcalc.zoo
            names = [f"{source}.{alias.name}" for alias in node.names]
            names = [name if name in MODULES else source for name in names]
        else:
            continue
        for name in names:
            target = _target(name)
            if target is not None and target != module:
                found.add(target)
    return found


GRAPH = {module: imports_of(module) for module in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_every_kind_of_import() -> None:
    """The parser counts imports in functions and under TYPE_CHECKING (or the test is blind)."""
    assert "paramcalc.report" in GRAPH["paramcalc.render.json"]  # top level
    assert "paramcalc.walk" in GRAPH["paramcalc.footprint"]  # inside a function
    assert "paramcalc.report" in GRAPH["paramcalc.render"]  # under TYPE_CHECKING
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_the_public_table() -> None:
    """Below the CLI nothing imports ``paramcalc`` itself: the table sits above the rest."""
    top = {"paramcalc", "paramcalc.__main__", "paramcalc.cli"}
    inside = [module for module in GRAPH if module not in top]
    assert [module for module in inside if "paramcalc" in GRAPH[module]] == []


def test_no_import_cycle() -> None:
    """No paramcalc module imports, at any depth, a module that imports it back."""
    assert _cycles(GRAPH) == []


@pytest.mark.parametrize(
    ("lower", "upper"),
    [
        ("paramcalc.layer", "paramcalc.walk"),
        ("paramcalc.walk", "paramcalc.report"),
        ("paramcalc.report", "paramcalc.render"),
        ("paramcalc.render", "paramcalc.cli"),
    ],
)
def test_the_layers_run_one_way(lower: str, upper: str) -> None:
    """contract -> walk -> report -> renderers -> CLI: nothing below reaches above."""

    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for other in GRAPH[todo.pop()]:
                if other not in seen:
                    seen.add(other)
                    todo.append(other)
        return seen

    assert upper not in reach(lower)
    assert lower in reach(upper)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_over_1000_lines(module: str) -> None:
    """Small modules with one job each."""
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines"


@pytest.mark.parametrize("name", sorted(seam.TARGETS))
def test_every_seam_target_resolves(name: str) -> None:
    """The seam's names point at what is there."""
    module, _, attribute = seam.TARGETS[name].partition(":")
    assert getattr(importlib.import_module(module), attribute) is seam.upward(name)


def test_registry_lists_every_public_layer_family() -> None:
    """Each module of the public table that defines layers is a registered family."""
    homes = set(paramcalc._HOMES)
    layered = {
        module
        for module in homes
        if any(
            isinstance(value := getattr(paramcalc, name), type)
            and issubclass(value, paramcalc.Layer)
            and value is not paramcalc.Layer
            for name in paramcalc._HOMES[module]
        )
    }
    assert layered == set(registry.FAMILIES)
