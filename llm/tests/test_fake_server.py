from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import threading
import time
import urllib.request

from openai import AsyncOpenAI

from llm.fake_server import FakeLLMServer, Reply, example_for_schema


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def test_it_lists_models():
    with FakeLLMServer(models=["a/one", "b/two"]) as server:
        listing = get_json(f"{server.base_url}/models")

    assert [m["id"] for m in listing["data"]] == ["a/one", "b/two"]


async def test_it_answers_64_concurrent_slow_requests_in_parallel():
    with FakeLLMServer(ttfb_s=0.8) as server:
        client = AsyncOpenAI(base_url=server.base_url, api_key="k", max_retries=0)

        async def ask(i: int) -> str:
            response = await client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": str(i)}]
            )
            return response.choices[0].message.content

        started = time.monotonic()
        answers = await asyncio.gather(*(ask(i) for i in range(64)))
        elapsed = time.monotonic() - started
        await client.close()

    assert len(answers) == 64
    assert all(answers)
    assert elapsed < 2.5


def test_stopping_interrupts_a_scripted_hang():
    server = FakeLLMServer().start()
    server.enqueue(Reply.hang(30))

    def post() -> None:
        request = urllib.request.Request(
            f"{server.base_url}/chat/completions",
            data=json.dumps({"model": "m", "messages": []}).encode(),
            headers={"Content-Type": "application/json"},
        )
        # The server goes away mid-request; the client's error is the expected outcome.
        with contextlib.suppress(OSError):
            urllib.request.urlopen(request, timeout=5)

    thread = threading.Thread(target=post)
    thread.start()
    time.sleep(0.2)
    started = time.monotonic()
    server.stop()
    thread.join(timeout=5)

    assert time.monotonic() - started < 1.0
    assert not thread.is_alive()


def test_rules_win_over_the_queue_and_the_queue_over_the_default():
    with FakeLLMServer(default=Reply.answer("default")) as server:
        server.route(Reply.answer("rule"), model="special", times=1)
        server.enqueue(Reply.answer("queued"))
        answers = []
        for model in ("special", "special", "other"):
            request = urllib.request.Request(
                f"{server.base_url}/chat/completions",
                data=json.dumps({"model": model, "messages": []}).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=5) as response:
                answers.append(json.loads(response.read())["choices"][0]["message"]["content"])

    assert answers == ["rule", "queued", "default"]
    assert [r.body["model"] for r in server.requests] == ["special", "special", "other"]


def test_a_callable_default_computes_the_reply_from_the_request():
    with FakeLLMServer(default=lambda body: Reply.answer(f"echo {body['model']}")) as server:
        request = urllib.request.Request(
            f"{server.base_url}/chat/completions",
            data=json.dumps({"model": "m1", "messages": []}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            body = json.loads(response.read())

    assert body["choices"][0]["message"]["content"] == "echo m1"
    assert body["usage"]["total_tokens"] > 0


def test_it_builds_a_schema_valid_example_from_a_pydantic_schema():
    schema = {
        "$defs": {"Item": {"properties": {"n": {"type": "integer", "minimum": 3}}}},
        "properties": {
            "title": {"type": "string", "maxLength": 10},
            "kind": {"enum": ["a", "b"]},
            "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}},
            "note": {"anyOf": [{"type": "null"}, {"type": "number"}]},
            "ok": {"type": "boolean"},
        },
        "type": "object",
    }

    example = example_for_schema(schema)

    assert len(example["title"]) <= 10
    assert example["kind"] == "a"
    assert example["items"] == [{"n": 3}]
    assert isinstance(example["note"], float)
    assert example["ok"] is True


def test_it_runs_standalone_from_the_command_line():
    with FakeLLMServer() as probe:  # borrow a free port, then release it
        port = probe._httpd.server_address[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "llm.fake_server", "--port", str(port), "--latency-ms", "10"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert "fake LLM server on" in process.stdout.readline()
        assert get_json(f"http://127.0.0.1:{port}/v1/models")["data"]
    finally:
        process.terminate()
        process.wait(timeout=5)
