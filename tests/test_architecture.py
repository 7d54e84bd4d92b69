"""The imports point one way (docs/ARCHITECTURE.md, "Layers"); these checks keep them so."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imports_of(folder: str) -> dict[Path, set[str]]:
    found = {}
    for path in (ROOT / folder).rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        found[path.relative_to(ROOT)] = names
    return found


def offenders(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path}: {name}"
        for path, names in imports_of(folder).items()
        for name in names
        if any(name == bad or name.startswith(bad + ".") for bad in forbidden)
    ]


def test_core_never_imports_widgets():
    assert offenders("app", ("PySide6.QtWidgets", "ui")) == []


def test_library_imports_nothing_else_of_ours():
    allowed = ("app.library",)
    ours = [
        f"{path}: {name}"
        for path, names in imports_of("app/library").items()
        for name in names
        if name.startswith("app.") and not name.startswith(allowed)
    ]
    assert ours == []


def test_torrents_never_import_the_share():
    assert offenders("app/torrents", ("app.share", "app.sync", "app.core")) == []


def test_no_coroutine_pumps_qt_events_itself():
    # processEvents() inside a coroutine re-enters qasync's timer dispatch: a timer id freed
    # there is reused by the next call_soon, then deleted and killed by the outer dispatch,
    # so a task never starts and shutdown waits for it forever (test_layout hung so). Await
    # asyncio.sleep() instead: the loop itself then lets Qt lay out and paint.
    found = []
    for folder in ("app", "ui", "tests", "scripts", "bench"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not isinstance(node, ast.AsyncFunctionDef):
                    continue
                for inner in ast.walk(node):
                    if (
                        isinstance(inner, ast.Call)
                        and isinstance(inner.func, ast.Attribute)
                        and inner.func.attr == "processEvents"
                    ):
                        found.append(f"{path.relative_to(ROOT)}:{inner.lineno} in {node.name}")
    assert found == []
