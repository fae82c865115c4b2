"""Imports run one way: down the layers below, never up or sideways.

    bench                  benchmarks
    scripts                the launcher, the demo, the test servers
    agentsite              settings, ASGI, URLs: wiring
    demo_data              the demo dataset: no app may depend on it
    console                the service's own pages (over the apps below)
      chat, reports        the apps people talk to
      tools                the chat's read-only tools
      knowledge            notes and the user's own texts, searched
      recommendations_ai   recommendation facts and texts
      governance           roles, budgets and limits per user and for the service
      ops                  HTTP edges: service auth, error responses, logs, daphne integration
      llm                  the model seam
      infrazen             InfraZen's tables, tenant-scoped selectors, stored values
      core, ru_format,     errors, correlation id, shutdown, database plumbing; Russian
      ru_numbers           format, and figures read back from Russian text

A module may import its own package and the packages of lower layers. Tests may import
anything, and nothing outside tests imports a test module. `core` never imports DRF.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = [
    {"core", "ru_format", "ru_numbers"},
    {"infrazen"},
    {"llm"},
    {"ops"},
    {"governance"},
    {"recommendations_ai"},
    {"knowledge"},
    {"tools"},
    {"chat", "reports"},
    {"console"},
    {"demo_data"},
    {"agentsite"},
    {"scripts"},
    {"bench"},
]
RANK = {package: rank for rank, packages in enumerate(LAYERS) for package in packages}


def _package(path: Path) -> str:
    return path.relative_to(ROOT).parts[0].removesuffix(".py")


def _modules() -> list[Path]:
    return [
        path
        for package in RANK
        for path in sorted((ROOT / package).rglob("*.py"))
        + ([ROOT / f"{package}.py"] if (ROOT / f"{package}.py").exists() else [])
    ]


def _is_test(path: Path) -> bool:
    parts = path.relative_to(ROOT).parts
    return "tests" in parts or path.name.startswith("test_") or path.name == "conftest.py"


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT)}:{line}"


def test_no_import_runs_up_or_sideways_between_layers():
    wrong = []
    for path in _modules():
        if _is_test(path):
            continue
        source = _package(path)
        for line, module in _imports(path):
            target = module.split(".")[0]
            if target in RANK and target != source and RANK[target] >= RANK[source]:
                wrong.append(f"{_where(path, line)} {source} -> {module}")

    assert wrong == []


def test_nothing_but_a_test_imports_a_test_module():
    wrong = [
        f"{_where(path, line)} imports {module}"
        for path in _modules()
        if not _is_test(path)
        for line, module in _imports(path)
        if module.split(".")[0] in RANK and ("tests" in module.split(".") or "conftest" in module)
    ]

    assert wrong == []


def test_core_does_not_depend_on_drf_or_the_http_layer():
    wrong = [
        f"{_where(path, line)} imports {module}"
        for path in sorted((ROOT / "core").rglob("*.py"))
        if not _is_test(path)
        for line, module in _imports(path)
        if module.split(".")[0] in {"rest_framework", "ops", "channels", "daphne"}
    ]

    assert wrong == []


def test_agentsite_is_wiring_only():
    site = ROOT / "agentsite"
    modules = {path.name for path in site.glob("*.py")}
    packages = {path.name for path in site.iterdir() if (path / "__init__.py").exists()}
    # The settings are a package of sections, one module per concern, with nothing below.
    below_settings = [
        path.name
        for path in (site / "settings").iterdir()
        if path.is_dir() and path.name != "__pycache__"
    ]

    assert modules == {"__init__.py", "asgi.py", "urls.py"}
    assert packages == {"settings"}
    assert below_settings == []
