"""The house's arrows: no import cycle inside ``src/entkiosk``, and each room imports only
the rooms below it (docs/ARCHITECTURE.md).

Every import counts: at module level, inside a function, and under ``TYPE_CHECKING``
(a type-only cycle is still two modules that cannot be understood apart). Importing
``a.b.c`` also runs the packages ``a`` and ``a.b``, so those count too, except the
importer's own parent packages (a package's ``__init__`` re-exporting its modules is
no cycle).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "src" / "entkiosk"
PACKAGE = "entkiosk"

#: Each room and the rooms it may import (besides itself). Lower rooms first.
LAYERS: dict[str, set[str]] = {
    "domain": set(),
    "config": {"domain"},
    "store": {"domain", "config"},
    "mail": {"domain", "config"},
    "letters": {"domain", "config"},
    "imports": {"domain"},
    "directory": {"domain", "config"},
    "service": {"domain", "config", "store", "mail", "imports", "directory"},
    "runtime": {"domain", "config", "store", "mail", "service", "directory"},
    "ui": {"domain", "config", "store", "mail", "service", "letters", "runtime", "imports"},
    "serve": {"domain", "config"},  # textual-serve starts ``cli`` per browser tab: a process, not an import
    "cli_args": {"domain"},  # its help and usage words come from the catalogs (domain.i18n)
    "cli_directory": {"domain", "config", "service"},
    "cli": {"domain", "config", "store", "mail", "service", "letters", "runtime", "ui", "cli_args", "imports", "serve",
            "cli_directory", "directory"},
}


def module_names() -> dict[str, Path]:
    names = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join((PACKAGE, *parts))] = path
    return names


def imports_of(name: str, path: Path, known: set[str]) -> Iterator[str]:
    """The modules of the package that ``name`` imports, anywhere in its file."""
    is_package = path.name == "__init__.py"
    here = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            targets = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source
                       for alias in node.names]
        else:
            continue
        for target in targets:
            if target.split(".")[0] != PACKAGE:
                continue
            while target not in known:  # ``import entkiosk.x.Name``: the module is entkiosk.x
                target = target.rpartition(".")[0]
            yield target
            # The packages that importing the target runs first, but the importer's own.
            parts = target.split(".")
            for end in range(2, len(parts)):
                ancestor = ".".join(parts[:end])
                if not (name == ancestor or name.startswith(ancestor + ".")):
                    yield ancestor


def graph() -> dict[str, set[str]]:
    names = module_names()
    known = set(names)
    return {name: {t for t in imports_of(name, path, known) if t != name} for name, path in names.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
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
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def room(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_the_checker_sees_a_cycle_and_a_type_only_import(tmp_path):
    """The check itself: a cycle made of a runtime import and a TYPE_CHECKING one is found."""
    edges = {"entkiosk.a": {"entkiosk.b"}, "entkiosk.b": {"entkiosk.a"}, "entkiosk.c": {"entkiosk.a"}}
    assert cycles(edges) == [["entkiosk.a", "entkiosk.b"]]
    source = tmp_path / "b.py"
    source.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import X\n"
                      "def f():\n    from . import c\n", encoding="utf-8")
    known = {"entkiosk", "entkiosk.a", "entkiosk.b", "entkiosk.c"}
    assert set(imports_of("entkiosk.b", source, known)) == {"entkiosk.a", "entkiosk.c"}


def test_no_import_cycle_in_the_package():
    found = cycles(graph())
    assert found == [], "import cycles:\n" + "\n".join(" ↔ ".join(c) for c in found)


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_each_room_imports_only_the_rooms_below_it(layer):
    wrong = sorted(f"{module} → {target}" for module, targets in graph().items() if room(module) == layer
                   for target in targets
                   if room(target) not in (None, layer) and room(target) not in LAYERS[layer])
    assert wrong == [], f"{layer} may import only {sorted(LAYERS[layer])}:\n" + "\n".join(wrong)


def test_every_room_is_in_a_layer():
    """A new top-level module or package gets its place in LAYERS (and in ARCHITECTURE.md)."""
    assert {room(m) for m in module_names()} - {None} <= set(LAYERS)


def test_screens_never_import_the_app_module():
    app = "entkiosk.ui.app"
    wrong = sorted(m for m, targets in graph().items() if m.startswith("entkiosk.ui.screens") and app in targets)
    assert wrong == []


# ------------------------------------------------------------ Textual through its public API only


@functools.cache
def source_of(cls: type) -> str:
    import inspect

    return inspect.getsource(cls)


def textual_internals(cls: type, cls_node: ast.ClassDef) -> list[str]:
    """Each ``_name`` the class defines or reads (``self._name``, ``def _name``) that one of
    its Textual base classes also has (as a class attribute or as ``self._name``)."""
    import re

    textual_bases = [base for base in cls.__mro__ if base.__module__.startswith("textual")]
    used = {n.attr for n in ast.walk(cls_node) if isinstance(n, ast.Attribute)
            and isinstance(n.value, ast.Name) and n.value.id == "self" and n.attr.startswith("_")
            and not n.attr.startswith("__")}
    used |= {n.name for n in cls_node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
             and n.name.startswith("_") and not n.name.startswith("__")}

    def textual_has(attr: str) -> bool:
        return any(attr in vars(base) or re.search(rf"self\.{attr}\b", source_of(base)) for base in textual_bases)

    return [f"{cls.__name__}: {attr}" for attr in sorted(used) if textual_has(attr)]


def textual_internals_used() -> list[str]:
    """Every Textual internal a class of the kiosk's ui uses, and each import of a private
    Textual module anywhere."""
    import importlib

    found = []
    for name, path in sorted(module_names().items()):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("textual"):
                if any(part.startswith("_") for part in node.module.split(".")):
                    found.append(f"{name}: from {node.module} import …")
        if name.startswith("entkiosk.ui"):
            module = importlib.import_module(name)
            for cls_node in (n for n in tree.body if isinstance(n, ast.ClassDef)):
                found += [f"{name}.{line}" for line in textual_internals(getattr(module, cls_node.name), cls_node)]
    return found


def test_textual_is_used_through_its_public_api_only():
    assert textual_internals_used() == []


def test_the_internals_check_can_fail():
    """The check itself: a RadioSet subclass reading Textual's ``_selected`` is caught, one
    with an attribute of its own is not."""
    from textual.widgets import RadioSet

    source = ("class Mine(RadioSet):\n"
              "    def pick(self):\n        return self._selected\n"
              "    def keep(self):\n        self._my_choice = 1\n")
    namespace: dict = {"RadioSet": RadioSet}
    exec(source, namespace)  # noqa: S102 - a class made for this check
    [node] = ast.parse(source).body
    assert textual_internals(namespace["Mine"], node) == ["Mine: _selected"]
