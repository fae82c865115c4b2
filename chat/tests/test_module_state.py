"""The chat keeps no state at module level but one registry object per owner (issue 19).

Module-level dicts, lists and sets are tables: read, never changed. What changes while the
service runs lives in an object that owns it, one per concern, listed here.
"""

import ast
from pathlib import Path

CHAT = Path(__file__).resolve().parents[1]
# The one registry object per owner: module, name.
REGISTRIES = {
    ("fanout.py", "SESSIONS"),  # every socket of this process, by session
    ("prompt_cache.py", "PROMPTS"),  # the sessions' system prompts and their prefetches
    ("running.py", "ANSWERS"),  # every running answer of this process
    ("images.py", "DECODE_SLOTS"),  # the upload decodes running at once
}
# Module-level calls that build nothing that changes.
CONSTANT_CALLS = {"ContextVar", "TypeVar", "frozenset", "tuple", "object", "re.compile"}
CONSTANT_CALLS |= {"logging.getLogger"}
# A statement compiled on first use and the same for every user, like re.compile's pattern.
CONSTANT_CALLS |= {"CompiledQuery"}
MUTATORS = {
    "append",
    "extend",
    "insert",
    "remove",
    "add",
    "discard",
    "update",
    "setdefault",
    "pop",
    "popitem",
    "clear",
    "move_to_end",
    "appendleft",
    "popleft",
}
TABLE_NODES = (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)


def _modules() -> list[Path]:
    return [
        path
        for path in sorted(CHAT.rglob("*.py"))
        if "tests" not in path.parts and "migrations" not in path.parts
    ]


def _name(path: Path) -> str:
    return path.relative_to(CHAT).as_posix()


def _assignments(tree: ast.Module):
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    yield target.id, node.value, node.lineno
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            yield ast.unparse(node.target), node.value, node.lineno


def _tables() -> set[str]:
    return {
        name
        for path in _modules()
        for name, value, _ in _assignments(ast.parse(path.read_text()))
        if isinstance(value, TABLE_NODES)
    }


def _mutated(node: ast.AST, tables: set[str]) -> str | None:
    def table(target: ast.AST) -> str | None:
        if isinstance(target, ast.Name) and target.id in tables:
            return target.id
        if isinstance(target, ast.Attribute) and target.attr in tables:
            return target.attr
        return None

    if isinstance(node, ast.Assign | ast.AugAssign | ast.Delete):
        targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
        for target in targets:
            if isinstance(target, ast.Subscript) and table(target.value):
                return table(target.value)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in MUTATORS
    ):
        return table(node.func.value)
    return None


def test_module_level_objects_are_tables_constants_or_a_listed_registry():
    found = []
    for path in _modules():
        for name, value, line in _assignments(ast.parse(path.read_text())):
            if not isinstance(value, ast.Call):
                continue
            called = ast.unparse(value.func)
            if called not in CONSTANT_CALLS and (_name(path), name) not in REGISTRIES:
                found.append(f"{_name(path)}:{line} {name} = {called}(...)")

    assert found == []


def test_every_listed_registry_exists():
    missing = [
        f"{module} {name}"
        for module, name in REGISTRIES
        if name not in {n for n, _, _ in _assignments(ast.parse((CHAT / module).read_text()))}
    ]

    assert missing == []


def test_module_level_tables_are_never_changed():
    tables = _tables()
    changed = [
        f"{_name(path)}:{node.lineno} changes {table}"
        for path in _modules()
        for node in ast.walk(ast.parse(path.read_text()))
        if (table := _mutated(node, tables))
    ]

    assert "WORDS" in tables and "ENDPOINTS" in tables
    assert changed == []


def test_no_function_rebinds_module_state():
    rebinding = [
        f"{_name(path)}:{node.lineno} global {', '.join(node.names)}"
        for path in _modules()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Global)
    ]

    assert rebinding == []
