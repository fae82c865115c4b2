"""Personal data swapped for placeholders on its way to a model, and back on its way out.

`llm.redact` drops secrets for good; this is the reversible half (issue 20). A `PiiScrubber`
lives for one chat turn or one text request: `scrub` turns each email, Russian phone number,
public IP, INN, SNILS, passport number, bank card and the user's own name into a typed
placeholder such as `[email 1]` or `[телефон 2]`, the same value always the same placeholder;
`restore` puts the originals back into what the model wrote (its text, its tool arguments), so
the user sees them while the model never did. Placeholders this scrubber did not issue (one the
model invents, one the user typed) stay as they are; scrubbing scrubbed text changes nothing.

Precision before recall: a FinOps answer needs its figures, so money (`12 345 ₽`), percentages,
dates, ids (`#123`, `fhm1abc…`, uuids), SKUs, private IPs and CPU/RAM numbers must come out as
they went in. Digits count only as a whole token (not inside an id or a longer number), numbers
with a checksum (INN, SNILS, cards by Luhn) only when it holds, and a phone only in a phone's
shape. Passport numbers have no checksum: they count only after a word such as «паспорт» or
«серия». What is left: a bare 10- or 12-digit number whose INN checksum holds by chance (one
in ten, one in a hundred) reads as an INN, and a name that is also a word (Вера, Роман) is
replaced as a word too. Run `credentials_scrub` first: a secret is dropped, not restored.

Pure: no Django, no settings; the caller passes the names and the IP switch
(`PII_SCRUB_PUBLIC_IPS`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from llm.pii_detect import (
    inn_valid,
    luhn_valid,
    names_regex,
    phone_valid,
    public_ip,
    snils_valid,
)

__all__ = [
    "KINDS",
    "PLACEHOLDER",
    "PiiScrubber",
    "StreamRestorer",
    "inn_valid",
    "luhn_valid",
    "phone_valid",
    "public_ip",
    "snils_valid",
]

EMAIL = "email"
PHONE = "телефон"
IP = "ip"
INN = "инн"
SNILS = "снилс"
PASSPORT = "паспорт"
CARD = "карта"
NAME = "имя"
KINDS = (EMAIL, PHONE, IP, INN, SNILS, PASSPORT, CARD, NAME)

# A word and a number in square brackets: models copy it verbatim, JSON needs no escaping, and
# no detector matches it. Case-insensitive on the way back: a model may capitalise the word.
PLACEHOLDER = re.compile(rf"\[({'|'.join(KINDS)}) ([1-9]\d{{0,5}})\]", re.IGNORECASE)

# Every number-shaped token in one pass; `_number_kind` tells which kind it is. The pattern
# starts with a character class, so the engine skips to candidates in C; the first character's
# own left neighbour is checked after it (`(?<!….)`): a value is a whole token, not inside an id
# (fhm1…, a uuid's last group), a word, a longer number or a decimal.
_SEP = r"[ \-\u00a0]?"
_PHONE_TAIL = rf"{_SEP}\d{{3}}{_SEP}\d{{2}}{_SEP}\d{{2}}"
_AREA = r"(?:\(\d{3}\)|\d{3})"
_NUMBERS = re.compile(
    r"[+(\d](?<![\w\-.+].)(?:"
    r"(?P<digits>(?<=\d)\d{9,18})"
    r"|(?P<ip>(?<!#\d)(?<=\d)\d{0,2}(?:\.\d{1,3}){3})"
    r"|(?P<snils>(?<![#/,]\d)(?<=\d)\d{2}(?P<sep_snils>[\- ])\d{3}(?P=sep_snils)\d{3}[ \-]\d{2})"
    r"|(?P<card>(?<![#/,]\d)(?<=[2-6])\d{3}(?:[ \-]\d{4}){2}(?:[ \-]\d{1,4}){1,2}"
    r"|(?<=3)\d{3}[ \-]\d{6}[ \-]\d{5})"
    rf"|(?P<phone>(?<=\+)7{_SEP}{_AREA}{_PHONE_TAIL}|(?<=\()\d{{3}}\){_PHONE_TAIL}"
    rf"|(?<![#/,]\d)(?<=[78]){_SEP}{_AREA}{_PHONE_TAIL}|(?<![#/,]\d)(?<=\d)\d{{2}}{_PHONE_TAIL})"
    r")(?![\w\-]|[.,]\d)(?!\s?(?:₽|%|(?i:руб|rub)))"
)
_EMAIL_DOMAIN = re.compile(r"@[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,}(?![\w\-@]|\.\w)")
_EMAIL_LOCAL = re.compile(r"[\w.+\-%]{1,65}\Z")
_PASSPORT_WORDS = ("аспорт", "АСПОРТ", "ери", "ЕРИ", "assport", "ASSPORT")
_PASSPORT = re.compile(
    r"(?<!\w)(?:паспорт\w*|сери[яиюей]\w*|passport)[^\d\n]{0,24}?"
    r"(?<![\w\-.,#/])(?P<v>\d{2} ?\d{2}(?:\s*(?:№|номер|no\.?|n)\s*| )?\d{6})(?!\w|[.,]\d)",
    re.IGNORECASE,
)
# IPv6 only where three groups in a row or a "::" hint at one (times have two colons).
_IPV6_HINT = re.compile(r":[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:")
_IPV6 = re.compile(r"(?<![\w:.])(?P<v>[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})(?![\w:]|\.\d)")


# A process's memory of texts scrubbed before (ScrubMemo): texts and their scrubbed copies,
# this many characters in all (4–8 MiB: Python keeps Cyrillic at two bytes a character).
MEMO_CHARS = 2_000_000
MEMO_TEXT_MAX_CHARS = 32_000


class ScrubMemo:
    """What scrubbing a text found, kept per process for the next scrubber.

    A chat question resends the session's context pack and its history, the same strings each
    time, to a new scrubber; scanning them again is most of a question's scrub. Kept per text
    (with the names and IP switch it was scrubbed under): the scrubbed text, the placeholder
    literals it held, and each value replaced in the order the scrub issued them. A scrubber
    replays those, and the text is reused only when it issues the very same placeholders
    (a fresh scrubber given the same texts in the same order does): the detectors' matches
    do not depend on the numbering, so the result is what a scan would have given. Oldest
    entries go first past MEMO_CHARS.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple, _Scan] = {}
        self._chars = 0

    def get(self, key: tuple) -> _Scan | None:
        return self._entries.get(key)

    def put(self, key: tuple, scan: _Scan) -> None:
        if len(key[0]) > MEMO_TEXT_MAX_CHARS:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = scan
            self._chars += _size(key, scan)
            while self._chars > MEMO_CHARS:
                oldest = next(iter(self._entries))
                self._chars -= _size(oldest, self._entries.pop(oldest))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._chars = 0


@dataclass(frozen=True)
class _Scan:
    """One text's scrub: its result, the placeholder literals it held, the values replaced."""

    scrubbed: str
    taken: tuple[str, ...]
    issued: tuple[tuple[str, str, str], ...]  # kind, value, placeholder, in the issue order


def _size(key: tuple, scan: _Scan) -> int:
    return len(key[0]) + (len(scan.scrubbed) if scan.scrubbed is not key[0] else 0)


SCRUB_MEMO = ScrubMemo()


class PiiScrubber:
    """Placeholders for personal data, for one chat turn or one text request (not shared:
    it remembers what it replaced)."""

    def __init__(self, *, names: Iterable[str | None] = (), public_ips: bool = True) -> None:
        self._placeholders: dict[tuple[str, str], str] = {}
        self._originals: dict[str, str] = {}  # lowered placeholder → original
        self._taken: set[str] = set()  # lowered placeholders issued or seen in the input
        self._counts = dict.fromkeys(KINDS, 0)
        self._names = names_regex(tuple(names))
        self._public_ips = public_ips
        self._issue_log: list[tuple[str, str, str]] | None = None
        # Each tool round resends the whole conversation: a string seen before costs a lookup.
        # Safe because a value keeps its placeholder for the scrubber's life.
        self._scrubbed: dict[str, str] = {}

    @property
    def issued(self) -> dict[str, str]:
        """Each placeholder issued so far and the value it stands for."""
        return {placeholder: value for (_, value), placeholder in self._placeholders.items()}

    def _placeholder(self, kind: str, value: str) -> str:
        key = (kind, value)
        placeholder = self._placeholders.get(key)
        if placeholder is None:
            while placeholder is None or placeholder.lower() in self._taken:
                self._counts[kind] += 1
                placeholder = f"[{kind} {self._counts[kind]}]"
            self._placeholders[key] = placeholder
            self._originals[placeholder.lower()] = value
            self._taken.add(placeholder.lower())
        if self._issue_log is not None:
            self._issue_log.append((kind, value, placeholder))
        return placeholder

    def scrub(self, text: str) -> str:
        """text with every detected value replaced by its placeholder."""
        if not text:
            return text
        scrubbed = self._scrubbed.get(text)
        if scrubbed is None:
            scrubbed = self._scrubbed[text] = self._remembered(text)
        return scrubbed

    def _remembered(self, text: str) -> str:
        """The text scrubbed: replayed from SCRUB_MEMO when it gives the same placeholders."""
        key = (text, self._names, self._public_ips)
        scan = SCRUB_MEMO.get(key)
        if scan is not None:
            self._taken.update(scan.taken)
            if all(self._placeholder(k, v) == p for k, v, p in scan.issued):
                return scan.scrubbed
            # Numbered otherwise: scanned again (the replayed prefix is what it issues first).
        # A placeholder-shaped literal in the input is never reused for another value.
        taken = tuple(m.group(0).lower() for m in PLACEHOLDER.finditer(text)) if "[" in text else ()
        self._taken.update(taken)
        self._issue_log = issued = []
        try:
            scrubbed = self._scrub(text)
        finally:
            self._issue_log = None
        SCRUB_MEMO.put(key, _Scan(scrubbed, taken, tuple(issued)))
        return scrubbed

    def _scrub(self, text: str) -> str:
        if "@" in text:
            text = self._emails_scrub(text)
        if any(word in text for word in _PASSPORT_WORDS):
            text = _PASSPORT.sub(self._passport, text)
        text = _NUMBERS.sub(self._number, text)
        if self._public_ips and ("::" in text or _IPV6_HINT.search(text)):
            text = _IPV6.sub(self._ipv6, text)
        if self._names is not None:
            text = self._names.sub(lambda m: self._placeholder(NAME, m.group(0)), text)
        return text

    def _emails_scrub(self, text: str) -> str:
        """Emails found from their "@domain" (a literal the engine finds fast), then the local
        part read back from the "@"; a local part longer than 64 characters is not one."""
        pieces, done = [], 0
        for domain in _EMAIL_DOMAIN.finditer(text):
            local = _EMAIL_LOCAL.search(text, max(done, domain.start() - 65), domain.start())
            if local is None or len(local.group(0)) > 64:
                continue
            value = text[local.start() : domain.end()]
            pieces += [text[done : local.start()], self._placeholder(EMAIL, value)]
            done = domain.end()
        return "".join(pieces) + text[done:] if pieces else text

    def _passport(self, match: re.Match[str]) -> str:
        start, end = match.span("v")
        offset = match.start()
        whole = match.group(0)
        value = self._placeholder(PASSPORT, match.group("v"))
        return whole[: start - offset] + value + whole[end - offset :]

    def _number(self, match: re.Match[str]) -> str:
        value = match.group(0)
        kind = _number_kind(match.lastgroup, value, public_ips=self._public_ips)
        return value if kind is None else self._placeholder(kind, value)

    def _ipv6(self, match: re.Match[str]) -> str:
        value = match.group("v")
        # Three groups at least, one digit at least: "a::b" or "dead::beef" is a word, not one.
        groups = [group for group in value.split(":") if group]
        if len(groups) < 3 or not any(c.isdigit() for c in value) or not public_ip(value):
            return value
        return self._placeholder(IP, value)

    def restore(self, text: str) -> str:
        """text with every placeholder this scrubber issued replaced by its original."""
        if not text or not self._originals or "[" not in text:
            return text
        return PLACEHOLDER.sub(lambda m: self._originals.get(m.group(0).lower(), m.group(0)), text)

    def scrub_data(self, value: Any) -> Any:
        """A copy of JSON-like data (tool results and arguments) with every string scrubbed;
        dict keys stay as they are."""
        return _strings_map(value, self.scrub)

    def restore_data(self, value: Any) -> Any:
        """A copy of JSON-like data (tool arguments from the model) with placeholders restored."""
        return _strings_map(value, self.restore)

    def stream_restorer(self) -> StreamRestorer:
        return StreamRestorer(self)

    def hold_from(self, text: str) -> int:
        """Where a placeholder this scrubber issued may begin at the end of text (len(text)
        when none can): the rest must wait for the next delta."""
        start = text.rfind("[")
        if start < 0 or not self._originals or "]" in text[start:]:
            return len(text)
        tail = text[start:].lower()
        if any(placeholder.startswith(tail) for placeholder in self._originals):
            return start
        return len(text)


class StreamRestorer:
    """Restores a streamed answer delta by delta. A placeholder split across deltas is held
    back until it is complete; text that cannot begin an issued placeholder goes out at once."""

    def __init__(self, scrubber: PiiScrubber) -> None:
        self._scrubber = scrubber
        self._held = ""

    def feed(self, delta: str) -> str:
        text = self._held + delta
        cut = self._scrubber.hold_from(text)
        self._held = text[cut:]
        return self._scrubber.restore(text[:cut])

    def flush(self) -> str:
        """What is still held, at the end of the stream."""
        text, self._held = self._held, ""
        return self._scrubber.restore(text)


_SHAPES: dict[str | None, tuple[str, Callable[[str], bool]]] = {
    "snils": (SNILS, snils_valid),
    "card": (CARD, luhn_valid),
    "phone": (PHONE, phone_valid),
}


def _number_kind(group: str | None, value: str, *, public_ips: bool) -> str | None:
    """Which personal value a number-shaped token is, if any: by its shape, then checksum."""
    if group == "digits":
        if len(value) in (10, 12):
            return INN if inn_valid(value) else None
        if len(value) == 11:
            return SNILS if snils_valid(value) else PHONE if phone_valid(value) else None
        return CARD if value[0] in "23456" and luhn_valid(value) else None
    if group == "ip":
        return IP if public_ips and public_ip(value) else None
    kind, valid = _SHAPES[group]
    return kind if valid(value) else None


def _strings_map(value: Any, function: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return function(value)
    if isinstance(value, dict):
        return {key: _strings_map(item, function) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_strings_map(item, function) for item in value)
    return value
