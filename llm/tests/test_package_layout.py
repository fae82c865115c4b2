"""The seam's layout: private SDK APIs in one module, and no import cycle with the errors."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

LLM = Path(__file__).resolve().parents[1]
PRIVATE_HOME = LLM / "sdk_private.py"


def _sdk_users() -> list[Path]:
    """The seam's modules that import the openai SDK or Instructor, but sdk_private."""
    return [
        path
        for path in sorted(LLM.glob("*.py"))
        if path != PRIVATE_HOME and any(_imports(path, sdk) for sdk in ("openai", "instructor"))
    ]


def _imports(path: Path, package: str) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        if any(name.split(".")[0] == package for name in names):
            return True
    return False


def _private_uses(path: Path) -> list[str]:
    uses = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            root, _, rest = node.module.partition(".")
            # instructor's own submodules (core, v2) hold its internals; openai's are `_x`.
            if (root == "instructor" and rest) or (root == "openai" and rest.startswith("_")):
                uses.append(f"{path.name}:{node.lineno} from {node.module}")
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            base = node.value
            if not node.attr.startswith("__") and not (
                isinstance(base, ast.Name) and base.id in ("self", "cls")
            ):
                uses.append(f"{path.name}:{node.lineno} .{node.attr}")
    return uses


def test_every_private_sdk_api_is_used_in_sdk_private_only():
    users = _sdk_users()
    uses = [use for path in users for use in _private_uses(path)]

    assert {path.name for path in users} >= {"clients.py", "retry.py", "streaming.py"}
    assert uses == []
    assert _private_uses(PRIVATE_HOME), "the check would not see a private use"


def test_the_errors_import_without_the_gateway():
    code = "import llm.errors, sys; print('llm.gateway' in sys.modules)"

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=LLM.parent
    )

    assert result.stdout.strip() == "False"
