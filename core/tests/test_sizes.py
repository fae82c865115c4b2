"""Modules and functions stay small enough to read in one sitting (issue 19).

No module outside tests over 500 lines, unless it is a pure data table (listed below, each
with its reason, and holding nothing but constants); no function or method outside tests and
benchmarks over 60 lines. Benchmarks and tests are left out; so are migrations, which Django
writes.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULE_MAX_LINES = 500
FUNCTION_MAX_LINES = 60
# Directories at the root that hold no project code of ours.
NOT_OURS = {"bench", "var", "node_modules", "static", "templates", "docs"}
# Pure data tables may be long: splitting a table of words only scatters it.
DATA_TABLES = {
    "chat/offline/wording.py": "every word the offline assistant says, as (Russian, English) "
    "pairs: wording is data, one file to edit for a change of tone",
}


def _is_test(path: Path) -> bool:
    parts = path.relative_to(ROOT).parts
    return (
        "tests" in parts
        or path.name.startswith("test_")
        or path.name == "conftest.py"
        or "migrations" in parts
    )


def _modules() -> list[Path]:
    found = [path for path in sorted(ROOT.glob("*.py")) if not _is_test(path)]
    for top in sorted(ROOT.iterdir()):
        if not top.is_dir() or top.name.startswith(".") or top.name in NOT_OURS:
            continue
        found += [path for path in sorted(top.rglob("*.py")) if not _is_test(path)]
    return found


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _functions(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def test_it_walks_the_project_and_not_the_virtualenv_or_the_benchmarks():
    names = {_name(path) for path in _modules()}

    assert "chat/consumers.py" in names
    assert "agentsite/settings/__init__.py" in names
    assert "manage.py" in names
    assert not [name for name in names if name.startswith((".venv/", "bench/"))]
    assert not [name for name in names if "/tests/" in name or "/migrations/" in name]


def test_no_module_is_over_500_lines_unless_it_is_a_data_table():
    long = [
        f"{_name(path)}: {lines} lines"
        for path in _modules()
        if (lines := len(path.read_text().splitlines())) > MODULE_MAX_LINES
        and _name(path) not in DATA_TABLES
    ]

    assert long == []


def test_the_allowed_data_tables_hold_only_data():
    code = [
        f"{name}:{node.lineno} {type(node).__name__}"
        for name in DATA_TABLES
        for node in ast.parse((ROOT / name).read_text()).body
        if not isinstance(node, ast.Assign | ast.AnnAssign | ast.ImportFrom | ast.Import | ast.Expr)
    ]

    assert code == []


def test_no_function_is_over_60_lines():
    long = [
        f"{_name(path)}:{node.lineno} {node.name}: {length} lines"
        for path in _modules()
        for node in _functions(ast.parse(path.read_text(), str(path)))
        if (length := node.end_lineno - node.lineno + 1) > FUNCTION_MAX_LINES
    ]

    assert long == []
