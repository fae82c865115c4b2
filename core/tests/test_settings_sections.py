"""agentsite.settings is assembled from one module per concern (issue 19).

Every setting a section defines reaches Django through the package, no two sections define
the same setting (the later one would silently win), and the refusal of production on
development defaults is read last, once every section is in.
"""

import ast
import importlib
from pathlib import Path

import agentsite.settings as settings_package

SETTINGS = Path(settings_package.__file__).resolve().parent


def _sections() -> list[str]:
    return sorted(path.stem for path in SETTINGS.glob("*.py") if path.stem != "__init__")


def _defined(section: str) -> set[str]:
    names = set()
    for node in ast.parse((SETTINGS / f"{section}.py").read_text()).body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        targets += [node.target] if isinstance(node, ast.AnnAssign) else []
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name) and name.id.isupper():
                    names.add(name.id)
    return names


def _imported_in_order() -> list[str]:
    tree = ast.parse((SETTINGS / "__init__.py").read_text())
    order = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            order += [node.module] if node.module else [alias.name for alias in node.names]
    return order


def test_every_section_is_read_by_the_package_and_production_last():
    order = _imported_in_order()

    assert sorted(order) == _sections()
    assert order[0] == "base"
    assert order[-1] == "production"


def test_every_setting_of_a_section_reaches_the_package():
    missing = [
        f"{section}.{name}"
        for section in _sections()
        for name in _defined(section)
        if getattr(settings_package, name, None)
        is not getattr(importlib.import_module(f"agentsite.settings.{section}"), name)
    ]

    assert missing == []


def test_no_two_sections_define_the_same_setting():
    seen: dict[str, str] = {}
    twice = []
    for section in _sections():
        for name in _defined(section):
            if name in seen:
                twice.append(f"{name} in {seen[name]} and {section}")
            seen[name] = section

    assert twice == []
