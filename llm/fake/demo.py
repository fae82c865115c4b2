"""Plausible answers for demos and benchmarks: a Russian text, or a schema-valid object."""

from __future__ import annotations

from typing import Any

from llm.fake.replies import DEFAULT_TEXT, Reply
from llm.fake.wire import forced_tool


def demo_reply(body: dict) -> Reply:
    """A generic Russian answer, or a schema-valid object when a tool call is forced."""
    tool = forced_tool(body)
    if tool is not None:
        return Reply(structured=example_for_schema(tool.get("parameters") or {}))
    return Reply(text=DEFAULT_TEXT)


def example_for_schema(schema: dict, *, root: dict | None = None, depth: int = 0) -> Any:
    """Best effort: an instance of a JSON schema as Pydantic emits it."""
    root = root or schema
    if depth > 8:
        return None
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        target = (root.get("$defs") or root.get("definitions") or {}).get(name, {})
        return example_for_schema(target, root=root, depth=depth + 1)
    if "default" in schema:
        return schema["default"]
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return example_for_schema(options[0], root=root, depth=depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        return {
            name: example_for_schema(sub, root=root, depth=depth + 1)
            for name, sub in (schema.get("properties") or {}).items()
        }
    if kind == "array":
        count = max(1, schema.get("minItems", 1))
        item = example_for_schema(schema.get("items") or {}, root=root, depth=depth + 1)
        return [item] * count
    if kind == "integer":
        return int(schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1))
    if kind == "number":
        return float(schema.get("minimum", 1.0))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    text = "Экономия до 30% при переносе на более дешёвую конфигурацию."
    min_length = schema.get("minLength", 0)
    max_length = schema.get("maxLength")
    text = text.ljust(min_length, ".")
    return text[:max_length] if max_length else text
