"""Voting's import direction: tasks import services, never the reverse (issue 9)."""

from __future__ import annotations

import ast
from pathlib import Path

import community.voting.services as services_package


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            found.add(module)
            found.update(
                f"{module}.{alias.name}" if module.strip(".") else module + alias.name for alias in node.names
            )
    return found


def test_voting_services_never_import_the_tasks():
    for path in Path(services_package.__file__).parent.glob("*.py"):
        imported = _imports(path)
        assert not any(name.endswith("tasks") for name in imported), (path.name, imported)


def test_public_service_names_are_importable_from_the_package():
    for name in services_package.__all__:
        assert hasattr(services_package, name), name
