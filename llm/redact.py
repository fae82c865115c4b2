"""Credential-looking values scrubbed from every string that leaves for a model.

Secrets keyed by name are dropped where the data is read (`infrazen.values.redact_secrets`);
this is the second net, for secrets pasted into free text: notes, explanations, sync errors,
tags, names, the user's own message. Each hit becomes MARKER, so the model sees that
something was there without seeing it.

The gateway calls `messages_scrub` on every outgoing message list: one point every prompt
passes, so a future prompt path cannot forget it. A PII pass (issue 20) belongs next to
`credentials_scrub` inside `messages_scrub`, not at another call site.

What stays: resource ids (Yandex ids are 20 characters), uuids, numbers, amounts, dates,
IPs and SKU names; a FinOps answer needs them, and IPs are PII's job, not this one's.
Pure: no Django, no settings, so tools/ and chat/ may import it without the LLM client.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

MARKER = "[скрыто]"

# Words that make a key secret wherever they sit in it (db_password, X-Auth-Token, apiKey).
_STRONG_KEY = (
    r"passw(?:or)?d|passphrase|secret|token(?!s\b)|api[_\-]?key|access[_\-]?key"
    r"|private[_\-]?key|(?:парол|токен)\w*(?:[ \t]+(?:от|для|к)[ \t]+[\w\-.]+)?"
)
# Words too common inside benign words (bypass, author, sessions) to match as substrings:
# they count only as a whole part of the key.
_WEAK_KEY = (
    r"pwd|pass|auth|authorization|bearer|session|cookie|credentials?"
    r"|ключ(?:[ \t]+api)?|api[\s\-]?ключ"
)
# The match starts at the secret word: whatever precedes it in the key (db_, X-) stays as is.
_KEY = rf"(?:(?:{_STRONG_KEY})[\w.\-]*|(?<![^\W_])(?:{_WEAK_KEY})(?![^\W_])(?:[_.\-]\w+)*)"
_KEY_VALUE = re.compile(
    rf"(?P<key>{_KEY})(?P<sep>\\?[\"']?[ \t]*(?::=|=>|[:=])[ \t]*"
    r"(?:(?:bearer|basic|token|digest)[ \t]+)?)"
    rf"(?:(?P<quote>\\?[\"'])(?P<quoted>{re.escape(MARKER)}|[^\"'\\\n]*)"
    rf"|(?P<bare>{re.escape(MARKER)}|[^\s\"'`<>&,;\\)\]}}]+))",
    re.IGNORECASE,
)
# The same on lowered text without IGNORECASE: case folding in the engine costs ~4x.
_KEY_VALUE_LOWER = re.compile(_KEY_VALUE.pattern)
_PEM = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*-----|\Z)", re.DOTALL
)
# The userinfo of any URL: the authority ends at the first / ? # so a path's @ is not it.
_URL_USERINFO = re.compile(r"(?<=://)[^\s/?#\"'\\<>@]*(?:@[^\s/?#\"'\\<>@]*)*@(?=[^\s@])")
_BEARER = re.compile(r"(?<![\w\-])(bearer[ \t]+)(?!\[)[A-Za-z0-9._~+/=\-]{8,}", re.IGNORECASE)
_TOKEN_SHAPES = re.compile(
    r"(?<![\w\-])(?:"
    r"(?:AKIA|ASIA)[0-9A-Z]{16}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"
    r"|xox[abposr]-[A-Za-z0-9\-]{10,}"
    r"|sk-[A-Za-z0-9_\-]{20,}"
    r"|t1\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{20,}"
    r"|y[0-3]_[A-Za-z0-9_\-]{20,}|AQVN[A-Za-z0-9_\-]{20,}|YC[A-Za-z0-9_\-]{22,}"
    r"|eyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*"
    r")"
)
_LONG_RUN = re.compile(r"(?<![\w+/\-])[A-Za-z0-9+/_\-]{32,}={0,2}(?![\w+/\-])")
_UUID = re.compile(r"[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}", re.IGNORECASE)
_HEX = re.compile(r"[0-9a-fA-F]+")

# Cheap pre-checks (substring tests on the lowered text, one ASCII scan for long runs):
# most strings (the system prompt, plain questions, most packs) skip most passes.
_KEY_NEEDLES = (
    "pass",
    "pwd",
    "secret",
    "token",
    "key",
    "auth",
    "bearer",
    "session",
    "cookie",
    "credential",
    "парол",
    "токен",
    "ключ",
)
_CANDIDATE = re.compile(r"[A-Za-z0-9+/_\-.=]{16,}")

# Bits per character: 32 random base64 characters score ~4.5, English-like names ~3.9;
# 32 random hex digits ~3.7, and hex that low is not text.
_MIXED_ENTROPY = 4.2
_HEX_ENTROPY = 3.0
_MIN_CASE_SHARE = 0.25


def _entropy(text: str) -> float:
    length = len(text)
    return -sum(n / length * math.log2(n / length) for n in Counter(text).values())


def _looks_random(token: str) -> bool:
    if _UUID.fullmatch(token):
        return False
    if not any(c.isdigit() for c in token) or not any(c.isalpha() for c in token):
        return False
    if _HEX.fullmatch(token):
        return _entropy(token) >= _HEX_ENTROPY
    letters = [c for c in token if c.isalpha()]
    upper = sum(c.isupper() for c in letters) / len(letters)
    # Names and paths are one case, or CamelCase with one capital a word (~15 %);
    # random base64 is about half and half.
    return _MIN_CASE_SHARE <= upper <= 1 - _MIN_CASE_SHARE and _entropy(token) >= _MIXED_ENTROPY


def _key_value(match: re.Match[str]) -> str:
    head = match.group("key") + match.group("sep")
    if match.group("quote") is not None:
        quote = match.group("quote")
        if not match.group("quoted"):
            return match.group(0)
        return f"{head}{quote}{MARKER}"
    return head + MARKER


def _key_values_scrub(text: str, lowered: str) -> str:
    if len(lowered) != len(text):  # a few characters lower to two; spans would not line up
        return _KEY_VALUE.sub(_key_value, text)
    pieces, start = [], 0
    for match in _KEY_VALUE_LOWER.finditer(lowered):
        value = "quoted" if match.group("quote") is not None else "bare"
        if not match.group(value) or match.group(value) == MARKER:
            continue
        pieces += [text[start : match.start(value)], MARKER]
        start = match.end(value)
    return "".join(pieces) + text[start:] if pieces else text


def _long_run(match: re.Match[str]) -> str:
    return MARKER if _looks_random(match.group(0)) else match.group(0)


# A session's system prompt (its context pack) and history go out again with every model call:
# texts this long are remembered per process (pure: the same text, the same result).
REMEMBERED_MIN_CHARS = 256
REMEMBERED_MAX_CHARS = 16_000


def credentials_scrub(text: str) -> str:
    """text with every credential-looking value replaced by MARKER; idempotent."""
    if not text:
        return text
    if REMEMBERED_MIN_CHARS <= len(text) <= REMEMBERED_MAX_CHARS:
        return _remembered_scrub(text)
    return _credentials_scrub(text)


@functools.lru_cache(maxsize=128)
def _remembered_scrub(text: str) -> str:
    return _credentials_scrub(text)


def _credentials_scrub(text: str) -> str:
    lowered = text.lower()
    if "-----begin" in lowered:
        text = _PEM.sub(MARKER, text)
    if "://" in text and "@" in text:
        text = _URL_USERINFO.sub(MARKER + "@", text)
    if any(needle in lowered for needle in _KEY_NEEDLES):
        text = _key_values_scrub(text, lowered)
        if "bearer" in lowered:
            text = _BEARER.sub(lambda m: m.group(1) + MARKER, text)
    return _CANDIDATE.sub(_candidate, text)


def _candidate(match: re.Match[str]) -> str:
    """A run of token characters: known shapes first, then whatever looks random."""
    return _LONG_RUN.sub(_long_run, _TOKEN_SHAPES.sub(MARKER, match.group(0)))


TextFunction = Callable[[str], str]


def _part_scrub(part: Any, text: TextFunction) -> Any:
    if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str):
        return {**part, "text": text(part["text"])}
    return part


def _tool_call_scrub(tool_call: Any, text: TextFunction) -> Any:
    function = tool_call.get("function") if isinstance(tool_call, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("arguments"), str):
        return tool_call
    return {**tool_call, "function": {**function, "arguments": text(function["arguments"])}}


def message_scrub(message: dict, text: TextFunction | None = None) -> dict:
    """A copy of one chat message with its text scrubbed (string content, text parts of
    a vision message, replayed tool-call arguments); images and other fields as they were.
    `text`: what is done to each string (default: secrets removed)."""
    text = text or credentials_scrub
    scrubbed = dict(message)
    content = message.get("content")
    if isinstance(content, str):
        scrubbed["content"] = text(content)
    elif isinstance(content, list):
        scrubbed["content"] = [_part_scrub(part, text) for part in content]
    if isinstance(message.get("tool_calls"), list):
        scrubbed["tool_calls"] = [_tool_call_scrub(call, text) for call in message["tool_calls"]]
    return scrubbed


def messages_scrub(messages: list[dict], text: TextFunction | None = None) -> list[dict]:
    """The outgoing message list as the model may see it: a new list, the caller's unchanged."""
    return [
        message_scrub(message, text) if isinstance(message, dict) else message
        for message in messages
    ]
