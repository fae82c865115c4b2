"""A fake OpenAI-compatible server that speaks the real wire protocol.

Tests point the real `openai` SDK at it (nothing inside the SDK is mocked) and script what it
answers: plain JSON completions, SSE streams with content and tool-call deltas, forced tool
calls for Instructor's TOOLS mode, HTTP errors with Retry-After, hangs, malformed bodies and
streams cut mid-way. It records what it received and which clients went away early.

In a test::

    with FakeLLMServer() as server:
        server.enqueue(Reply.error(429, retry_after=1), Reply.text("Привет"))
        server.route(Reply.error(500), model="primary/model")
        settings.LLM_BASE_URL = server.base_url
        ...
        assert server.requests[0].body["model"] == "primary/model"

Standalone, for demos and benchmarks::

    python -m llm.fake_server --port 8090 --latency-ms 800 --tokens-per-s 50

This module is the server and its HTTP handler; the scripted replies, the wire shapes and
the demo answers are in `llm/fake/`, and every public name is importable from here.
"""

from __future__ import annotations

import argparse
import json
import select
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from llm.fake.demo import demo_reply, example_for_schema
from llm.fake.replies import (
    DEFAULT_MODEL,
    DEFAULT_TEXT,
    Disconnect,
    ReceivedRequest,
    Reply,
    ReplySource,
)
from llm.fake.wire import error_body, message_for, stream_chunks, usage_for

# The public names tests and benchmarks import from here, wherever they are defined.
__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_TEXT",
    "Disconnect",
    "FakeLLMServer",
    "ReceivedRequest",
    "Reply",
    "ReplySource",
    "demo_reply",
    "example_for_schema",
    "main",
]

# A waiting handler notices a client that left at once (its socket turns readable); this is
# only how soon it notices stop(). Every wake-up costs CPU on the cores a benchmark shares
# with the service: 20 ms made 50 waiting requests 2,500 wake-ups a second.
_POLL_S = 0.1


@dataclass
class _Rule:
    reply: ReplySource
    model: str | None
    when: Callable[[dict], bool] | None
    times: int | None


class FakeLLMServer:
    """A real HTTP server on 127.0.0.1 in a background thread, one thread per connection.

    Which reply a chat request gets: the first matching rule, else the next queued reply,
    else `default` (a Reply or a callable computing one from the request body).
    """

    def __init__(
        self,
        *,
        port: int = 0,
        default: ReplySource | None = None,
        ttfb_s: float = 0.0,
        tokens_per_s: float | None = None,
        models: list[str] | None = None,
    ) -> None:
        self.port = port
        self.default: ReplySource = default if default is not None else demo_reply
        self.ttfb_s = ttfb_s
        self.tokens_per_s = tokens_per_s
        self.models = models or [DEFAULT_MODEL]
        self.requests: list[ReceivedRequest] = []
        self.disconnects: list[Disconnect] = []
        self._queue: deque[ReplySource] = deque()
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()
        self._disconnected = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- scripting ---------------------------------------------------------------------
    def enqueue(self, *replies: ReplySource) -> None:
        with self._lock:
            self._queue.extend(replies)

    def route(
        self,
        reply: ReplySource,
        *,
        model: str | None = None,
        when: Callable[[dict], bool] | None = None,
        times: int | None = None,
    ) -> None:
        """Answer matching requests (by model name and/or predicate) with `reply`."""
        with self._lock:
            self._rules.append(_Rule(reply, model, when, times))

    def script_clear(self) -> None:
        """Forget the queued replies and the rules (a server shared by several tests)."""
        with self._lock:
            self._queue.clear()
            self._rules.clear()

    def chat_requests(self) -> list[dict]:
        with self._lock:
            return [r.body for r in self.requests if r.path.endswith("/chat/completions")]

    def wait_for_disconnect(self, *, timeout: float = 2.0) -> bool:
        with self._disconnected:
            return self._disconnected.wait_for(lambda: bool(self.disconnects), timeout=timeout)

    # --- lifecycle ---------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "start the server first"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> FakeLLMServer:
        handler = type("BoundHandler", (_Handler,), {"fake": self})
        self._httpd = _Server(("127.0.0.1", self.port), handler)
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-llm-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        # Hanging handlers poll this event, so stop() never waits out a scripted hang.
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- used by the handler -----------------------------------------------------------
    def _record(self, request: ReceivedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _record_disconnect(self, disconnect: Disconnect) -> None:
        with self._disconnected:
            self.disconnects.append(disconnect)
            self._disconnected.notify_all()

    def _pick(self, body: dict) -> Reply:
        source: ReplySource | None = None
        with self._lock:
            for rule in self._rules:
                if rule.model is not None and body.get("model") != rule.model:
                    continue
                if rule.when is not None and not rule.when(body):
                    continue
                if rule.times is not None:
                    if rule.times <= 0:
                        continue
                    rule.times -= 1
                source = rule.reply
                break
            if source is None and self._queue:
                source = self._queue.popleft()
        reply = _resolve(source, body) if source is not None else None
        return reply or _resolve(self.default, body) or demo_reply(body)


def _resolve(source: ReplySource, body: dict) -> Reply | None:
    return source(body) if callable(source) else source


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    # Benchmarks open 64+ connections at once; the stdlib default backlog of 5 would make
    # the kernel drop SYNs and the clients retry a second later.
    request_queue_size = 256


class _ClientGone(Exception):
    """The client closed the connection before the answer was complete."""


class _Stopping(Exception):
    """The server is shutting down while a handler was waiting."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY the client's delayed
    # ACK holds the body back ~40 ms, which would pass for model latency in benchmarks.
    disable_nagle_algorithm = True
    fake: FakeLLMServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests and benchmarks don't want an access log on stderr

    # --- routing -----------------------------------------------------------------------
    def do_GET(self) -> None:
        self.fake._record(ReceivedRequest("GET", self.path, dict(self.headers), None))
        if self.path.rstrip("/").endswith("/models"):
            data = [
                {"id": m, "object": "model", "created": 0, "owned_by": "fake"}
                for m in self.fake.models
            ]
            self._send_json(200, {"object": "list", "data": data})
        else:
            self._send_json(404, error_body(404, "not found"))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        self.fake._record(ReceivedRequest("POST", self.path, dict(self.headers), body))
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send_json(404, error_body(404, "not found"))
            return
        if not isinstance(body, dict):
            self._send_json(400, error_body(400, "invalid JSON body"))
            return
        reply = self.fake._pick(body)
        try:
            self._answer(body, reply)
        except (_ClientGone, BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except _Stopping:
            self.close_connection = True

    def _answer(self, body: dict, reply: Reply) -> None:
        model = reply.model or body.get("model") or DEFAULT_MODEL
        ttfb = reply.ttfb_s if reply.ttfb_s is not None else self.fake.ttfb_s
        if reply.hang_s:
            self._wait(reply.hang_s, body=body, chunks_sent=0)
        if ttfb:
            self._wait(ttfb, body=body, chunks_sent=0)
        if reply.status != 200:
            self._send_json(reply.status, error_body(reply.status, "scripted error"), reply.headers)
            return
        if reply.raw_body is not None:
            self._send_bytes(200, reply.raw_body.encode(), reply.raw_content_type, reply.headers)
            return
        message = message_for(body, reply)
        usage = usage_for(body, reply, message)
        if body.get("stream"):
            self._stream(body, reply, model, message, usage)
        else:
            finish = reply.finish_reason or ("tool_calls" if message.get("tool_calls") else "stop")
            self._send_json(
                200,
                {
                    "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": model,
                    "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                    "usage": usage,
                },
                reply.headers,
            )

    # --- streaming ---------------------------------------------------------------------
    def _stream(self, body: dict, reply: Reply, model: str, message: dict, usage: dict) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.close_connection = True

        rate = reply.tokens_per_s or self.fake.tokens_per_s
        pause = 1.0 / rate if rate else 0.0
        base = {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
        }
        for sent, chunk in enumerate(stream_chunks(body, reply, message, usage)):
            if reply.cut_after_chunks is not None and sent >= reply.cut_after_chunks:
                # Drop the connection without the terminating chunk: the client sees an
                # incomplete chunked body, as it would when a proxy dies mid-answer.
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            # Chunk 0 carries only the role; the first token comes at TTFB, the rest at rate.
            if sent > 1 and pause and chunk and chunk["choices"]:
                self._wait(pause, body=body, chunks_sent=sent)
            elif self._client_gone():
                self._gone(body, sent)
            payload = "[DONE]" if chunk is None else json.dumps({**base, **chunk})
            self._write_chunk(f"data: {payload}\n\n".encode(), body=body, chunks_sent=sent)
        self.wfile.write(b"0\r\n\r\n")

    def _write_chunk(self, data: bytes, *, body: dict, chunks_sent: int) -> None:
        try:
            self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self._gone(body, chunks_sent)

    # --- waiting that notices a stop and a client that left ----------------------------
    def _wait(self, seconds: float, *, body: dict, chunks_sent: int) -> None:
        until = time.monotonic() + seconds
        while (left := until - time.monotonic()) > 0:
            if self.fake._stopping.is_set():
                raise _Stopping
            if self._client_gone(timeout=min(left, _POLL_S)):
                self._gone(body, chunks_sent)

    def _client_gone(self, *, timeout: float = 0.0) -> bool:
        readable, _, _ = select.select([self.connection], [], [], timeout)
        if not readable:
            return False
        try:
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except (ConnectionResetError, OSError):
            return True

    def _gone(self, body: dict, chunks_sent: int) -> None:
        self.fake._record_disconnect(Disconnect(self.path, body.get("model"), chunks_sent))
        raise _ClientGone

    # --- plain responses ---------------------------------------------------------------
    def _send_json(self, status: int, payload: dict, headers: dict | None = None) -> None:
        self._send_bytes(status, json.dumps(payload).encode(), "application/json", headers)

    def _send_bytes(
        self, status: int, data: bytes, content_type: str, headers: dict | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake OpenAI-compatible LLM server.")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="time to first byte")
    parser.add_argument("--tokens-per-s", type=float, default=None, help="stream speed")
    args = parser.parse_args(argv)
    server = FakeLLMServer(
        port=args.port, ttfb_s=args.latency_ms / 1000, tokens_per_s=args.tokens_per_s
    )
    server.start()
    print(f"fake LLM server on {server.base_url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
