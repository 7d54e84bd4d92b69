"""The repository explains itself: no citation of files outside it, and the documents name
only paths that exist (docs/ARCHITECTURE.md's module map, CONTRIBUTING.md, README.md)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"
DOCUMENTS = (ARCHITECTURE, ROOT / "CONTRIBUTING.md", ROOT / "README.md")
# What .gitignore keeps out of the repository; a clone has none of it.
NOT_OURS = {".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache", "build", "dist"}
OUTSIDE = ("../shared", "DESIGN.md")

# `app/x.py`, `ui/tasks.py:spawn()`, `ui/library/`: a path of ours in backticks
NAMED_PATH = re.compile(
    r"`((?:app|ui|tests|bench|scripts|resources|installers|docs|\.ci)/[^`\s:*]*|main\.py)"
)


def repository_files() -> list[Path]:
    found = []
    for path in ROOT.rglob("*"):
        parts = path.relative_to(ROOT).parts
        if path.is_file() and not NOT_OURS & set(parts) and not parts[0].endswith(".egg-info"):
            found.append(path)
    return found


def is_text(data: bytes) -> bool:
    return b"\0" not in data


def module_map() -> list[str]:
    """The paths in the first column of ARCHITECTURE.md's "Module map" table."""
    section = ARCHITECTURE.read_text(encoding="utf-8").split("\n## Module map\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    paths = []
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            paths += re.findall(r"`([^`]+)`", first_cell)
    return paths


def test_nothing_cites_files_outside_the_repository():
    citing = []
    for path in repository_files():
        if path == Path(__file__).resolve():
            continue  # names the strings it looks for
        data = path.read_bytes()
        if not is_text(data):
            continue
        text = data.decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if any(needle in line for needle in OUTSIDE):
                citing.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert citing == []


def test_the_module_map_names_only_paths_that_exist():
    named = module_map()
    assert len(named) > 50  # the table was found and read
    missing = [p for p in named if not (ROOT / p).exists()]
    assert missing == []


def test_every_core_module_is_in_the_module_map():
    named = set(module_map())
    modules = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "app").rglob("*.py")
        if path.name != "__init__.py"
    )
    assert modules
    assert [m for m in modules if m not in named] == []


def test_every_path_the_documents_name_exists():
    missing = []
    for document in DOCUMENTS:
        for named in NAMED_PATH.findall(document.read_text(encoding="utf-8")):
            if not (ROOT / named).exists():
                missing.append(f"{document.name}: {named}")
    assert missing == []


def test_contributing_gives_the_readme_set_up_commands():
    def commands(path: Path) -> list[str]:
        blocks = re.findall(r"```sh\n(.*?)```", path.read_text(encoding="utf-8"), re.S)
        return [block for block in blocks if block.startswith("python3 -m venv")]

    readme = commands(ROOT / "README.md")
    assert len(readme) == 2  # run the app, run the tests
    assert [c for c in commands(ROOT / "CONTRIBUTING.md") if c in readme] == readme
