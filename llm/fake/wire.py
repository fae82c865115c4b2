"""OpenAI's chat completion wire shapes, built from a scripted reply and the request body."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

from llm.fake.replies import Reply


def error_body(status: int, message: str) -> dict:
    kind = {429: "rate_limit_exceeded", 404: "model_not_found"}.get(status, "api_error")
    return {"error": {"message": message, "type": kind, "code": status}}


def forced_tool(body: dict) -> dict | None:
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "function":
        name = choice["function"]["name"]
        for tool in body.get("tools") or []:
            if tool.get("function", {}).get("name") == name:
                return tool["function"]
        return {"name": name, "parameters": {}}
    return None


def message_for(body: dict, reply: Reply) -> dict:
    calls = reply.tool_calls
    if reply.structured is not None:
        tool = forced_tool(body) or {"name": "answer"}
        calls = [{"name": tool["name"], "arguments": reply.structured}]
    if not calls:
        return {"role": "assistant", "content": reply.text}
    return {
        "role": "assistant",
        "content": reply.text or None,
        "tool_calls": [
            {
                "id": call.get("id") or f"call_{uuid.uuid4().hex[:10]}",
                "type": "function",
                "function": {
                    "name": call["name"],
                    "arguments": call["arguments"]
                    if isinstance(call["arguments"], str)
                    else json.dumps(call["arguments"], ensure_ascii=False),
                },
            }
            for call in calls
        ],
    }


def _approx_tokens(text: str) -> int:
    return max(1, len(text) // 4)


def usage_for(body: dict, reply: Reply, message: dict) -> dict:
    prompt = reply.prompt_tokens
    if prompt is None:
        prompt = _approx_tokens(json.dumps(body.get("messages", []), ensure_ascii=False))
    completion = reply.completion_tokens
    if completion is None:
        completion = _approx_tokens(json.dumps(message, ensure_ascii=False))
    usage: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    if reply.cost is not None:
        usage["cost"] = reply.cost  # OpenRouter reports the charge in USD here
    return usage


def _pieces(text: str, size: int) -> Iterator[str]:
    for start in range(0, len(text), size):
        yield text[start : start + size]


def stream_chunks(body: dict, reply: Reply, message: dict, usage: dict) -> Iterator[dict | None]:
    """The SSE payloads in order; None stands for the closing `[DONE]`."""

    def choice(delta: dict, finish: str | None = None) -> dict:
        return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    yield choice({"role": "assistant", "content": ""})
    for word in _words(message.get("content") or ""):
        yield choice({"content": word})
    for index, call in enumerate(message.get("tool_calls") or []):
        # Like OpenAI: the first delta names the call, later ones carry argument fragments.
        yield choice(
            {
                "tool_calls": [
                    {
                        "index": index,
                        "id": call["id"],
                        "type": "function",
                        "function": {"name": call["function"]["name"], "arguments": ""},
                    }
                ]
            }
        )
        for fragment in _pieces(call["function"]["arguments"], 12):
            yield choice({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]})
    finish = reply.finish_reason or ("tool_calls" if message.get("tool_calls") else "stop")
    yield choice({}, finish)
    if (body.get("stream_options") or {}).get("include_usage"):
        yield {"choices": [], "usage": usage}
    yield None


def _words(text: str) -> Iterator[str]:
    word = ""
    for char in text:
        word += char
        if char == " ":
            yield word
            word = ""
    if word:
        yield word
