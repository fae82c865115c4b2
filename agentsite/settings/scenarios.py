"""The scenarios' knobs: recommendation texts, reports, the chat and its sockets."""

from __future__ import annotations

from ops.settings_guard import vector_store_check

from .base import env

# Accepted for InfraZen's old agent env and ignored: knowledge search is BM25 in process.
VECTOR_STORE = vector_store_check(value=env.str("VECTOR_STORE", default=""))

# --- Scenario settings ----------------------------------------------------------------------
AI_TEXT_MODE = env.str("AI_TEXT_MODE", default="auto")  # auto | template | llm
TEXT_ENDPOINT_DEADLINE_S = env.float("TEXT_ENDPOINT_DEADLINE_S", default=25.0)
# Reports (POST /v1/reports/render): answered within this many seconds whatever the model does
# (the InfraZen client waits 20 s). The PDF link is signed for REPORT_LINK_TTL_S and built on
# AGENT_PUBLIC_URL (in production https://<host>/agent); REPORT_LINK_SECRET defaults to the
# Django secret key.
REPORT_DEADLINE_S = env.float("REPORT_DEADLINE_S", default=15.0)
# InfraZen stores the page in a MySQL TEXT column (65,535 bytes); longer pages list fewer rows.
REPORT_HTML_MAX_BYTES = env.int("REPORT_HTML_MAX_BYTES", default=64_000)
REPORT_LINK_TTL_S = env.int("REPORT_LINK_TTL_S", default=7 * 24 * 3600)
REPORT_LINK_SECRET = env.str("REPORT_LINK_SECRET", default="")
AGENT_PUBLIC_URL = env.str("AGENT_PUBLIC_URL", default="http://127.0.0.1:8001")
CHAT_MAX_TOOL_ROUNDS = env.int("CHAT_MAX_TOOL_ROUNDS", default=5)
# A whole chat answer (every model round and tool call) ends within this many seconds.
CHAT_ANSWER_DEADLINE_S = env.float("CHAT_ANSWER_DEADLINE_S", default=90.0)
CHAT_MAX_ANSWER_TOKENS = env.int("CHAT_MAX_ANSWER_TOKENS", default=900)
# On SIGTERM (a deploy) answers still running may finish for this many seconds; the rest are
# stored with what was streamed and a restart marker (chat.running.RunningAnswers.drain).
CHAT_SHUTDOWN_GRACE_S = env.float("CHAT_SHUTDOWN_GRACE_S", default=15.0)
# While an answer streams, what it has streamed so far is stored (marked interrupted) at most
# this often, so a worker killed mid-answer loses no more than that (chat.turns; 0: never).
CHAT_CHECKPOINT_S = env.float("CHAT_CHECKPOINT_S", default=2.0)
# The history sent to the model: the latest messages that fit this many tokens.
CHAT_HISTORY_TOKEN_BUDGET = env.int("CHAT_HISTORY_TOKEN_BUDGET", default=3000)
# Streamed text is sent at most this often per answer, the first piece at once. Ten updates
# a second read as a smooth stream; each frame costs a send per socket (≈ 0.1 ms here).
CHAT_DELTA_FLUSH_MS = env.int("CHAT_DELTA_FLUSH_MS", default=100)
# From this many answers streaming in one process, each reads its model's stream at most every
# CHAT_DELTA_FLUSH_MS (the socket paused between reads, the tokens gathered by the kernel)
# instead of waking for every token: the text goes out at the same pace, for a fraction of
# the CPU. The end of an answer then comes up to that much later. 0: never.
CHAT_STREAM_GATHER_FROM = env.int("CHAT_STREAM_GATHER_FROM", default=8)
# A session's context pack (KPIs, the recommendation, alternatives) is rebuilt after this long.
# Its figures change with a sync (hourly at the most often), and the model's tools always read
# live rows; a build is ~12 ms of CPU, which at 60 s was rebuilt twice per conversation.
CHAT_CONTEXT_TTL_S = env.float("CHAT_CONTEXT_TTL_S", default=300.0)
# Build it in the background when a socket opens and as it ages (chat.prompt_cache).
CHAT_CONTEXT_PREFETCH = env.bool("CHAT_CONTEXT_PREFETCH", default=True)
# Frames one chat socket may send (chat.limits): a burst, then this many a second. A person
# sends a few a minute; past the limit frames are dropped with a `rate_limited` error.
CHAT_WS_FRAMES_PER_S = env.float("CHAT_WS_FRAMES_PER_S", default=1.0)
CHAT_WS_FRAMES_BURST = env.int("CHAT_WS_FRAMES_BURST", default=20)
# `history` frames (each replays up to 200 messages) per socket: a burst, then per minute.
CHAT_WS_REPLAYS_PER_MINUTE = env.float("CHAT_WS_REPLAYS_PER_MINUTE", default=6.0)
CHAT_WS_REPLAYS_BURST = env.int("CHAT_WS_REPLAYS_BURST", default=3)
# A socket that has this many frames refused within about 10 s is closed with 4429.
CHAT_WS_FLOOD_CLOSE_AFTER = env.int("CHAT_WS_FLOOD_CLOSE_AFTER", default=200)
# Below the chat, in daphne's protocol (ops.daphne.flood): frames a connection may send before
# any reach the application (far looser than the chat's own limit), and how many dropped
# within 10 s close it with 4429. A flood costs the worker its parsing, never a queue.
WS_PROTOCOL_FRAMES_PER_S = env.float("WS_PROTOCOL_FRAMES_PER_S", default=10.0)
WS_PROTOCOL_FRAMES_BURST = env.int("WS_PROTOCOL_FRAMES_BURST", default=40)
WS_PROTOCOL_FLOOD_DROPS = env.int("WS_PROTOCOL_FLOOD_DROPS", default=100)
# Blocks of this size or more are mapped alone and returned when freed (ops.memory); 0: glibc's
# dynamic default, which keeps the memory of past large uploads in the process.
MALLOC_MMAP_THRESHOLD_BYTES = env.int("MALLOC_MMAP_THRESHOLD_BYTES", default=131072)
