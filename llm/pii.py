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

import functools
import ipaddress
import re
from collections.abc import Callable, Iterable
from typing import Any

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
_NON_DIGIT = re.compile(r"\D")

# Networks that say nothing about a person: private, shared (CGNAT), loopback, link-local,
# multicast. Documentation ranges are scrubbed: people paste them as if real.
_KEPT_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "224.0.0.0/4",
        "255.255.255.255/32",
        "::/128",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    )
)

_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS = ((7, 2, 4, 10, 3, 5, 9, 4, 6, 8), (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8))

# Words a test or demo account carries as its "name" that are ordinary words in every prompt.
_NOT_NAMES = frozenset(
    {"демо", "demo", "пользователь", "user", "admin", "администратор", "test", "тест", "guest"}
)
# Russian case endings by the name's own ending (a rough cut: the common first names and
# surnames in -ов/-ев/-ин, -ий/-ой/-ая, -а/-я, -ь, -й; indeclinable ones match as given).
_ADJECTIVE = "ий|ый|ой|ая|яя|ого|его|ому|ему|им|ым|ом|ем|ую|юю|ие|ые|их|ых|ими|ыми|ия|ию|ием|ии"
_ENDINGS = (
    (("ий", "ый", "ой", "ая", "яя"), 2, _ADJECTIVE),
    (("ия",), 2, "ия|ии|ию|ией|иею"),
    (("а", "я"), 1, "а|я|ы|и|е|у|ю|ой|ей|ою|ею"),
    (("ь",), 1, "ь|я|ю|ем|е|и|ью|ей"),
    (("й",), 1, "й|я|ю|ем|е|и"),
)
_CONSONANT = "|а|у|ом|ым|ем|е|ы|ой|ою|ых|ыми|ам|ами|ах"
_YO = re.compile("[её]")


def _digits(value: str) -> str:
    return _NON_DIGIT.sub("", value)


def inn_valid(value: str) -> bool:
    """A 10-digit (company) or 12-digit (person) INN whose check digits hold."""
    digits = [int(c) for c in _digits(value)]
    if len(digits) not in (10, 12) or digits[0] == digits[1] == 0:
        return False
    weights_list = (_INN10_WEIGHTS,) if len(digits) == 10 else _INN12_WEIGHTS
    return all(
        _check_digit(weights, digits[: len(weights)]) == digits[len(weights)]
        for weights in weights_list
    )


def _check_digit(weights: tuple[int, ...], digits: list[int]) -> int:
    return sum(w * d for w, d in zip(weights, digits, strict=True)) % 11 % 10


def snils_valid(value: str) -> bool:
    """An 11-digit SNILS whose last two digits are the checksum of the first nine."""
    digits = [int(c) for c in _digits(value)]
    if len(digits) != 11 or not any(digits[:9]):
        return False
    total = sum(d * (9 - i) for i, d in enumerate(digits[:9]))
    check = total % 101 % 100 if total > 99 else total
    return check == digits[9] * 10 + digits[10]


def luhn_valid(value: str) -> bool:
    """A 13–19 digit card number whose Luhn sum ends in 0."""
    digits = [int(c) for c in _digits(value)]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def phone_valid(value: str) -> bool:
    """A Russian number: +7/8/7 and ten digits, or ten digits in a phone's shape (brackets or
    separators), the area code starting 3, 4, 8 or 9 as Russia's do."""
    digits = _digits(value)
    if value.startswith("+"):
        return len(digits) == 11 and digits[1] in "3489"
    if len(digits) == 11:
        return digits[0] in "78" and digits[1] in "3489"
    return len(digits) == 10 and digits[0] in "3489" and not value.isdigit()


def public_ip(value: str) -> bool:
    """An IPv4/IPv6 address outside the private, loopback, link-local and multicast ranges."""
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not any(address in network for network in _KEPT_NETWORKS)


def _word_pattern(word: str) -> tuple[str, str]:
    """One name word: the characters it may start with, and a regex for the rest of it in its
    common Russian case forms (Иванов, Иванова, Иванову, Ивановым…)."""
    lowered = word.lower()
    pattern = None
    for endings, cut, forms in _ENDINGS:
        if lowered.endswith(endings) and len(lowered) - cut >= 2:
            pattern = f"{re.escape(lowered[1:-cut])}(?:{forms})"
            break
    if pattern is None and re.fullmatch(r"[а-яё\-]+", lowered) and lowered[-1] not in "оеиуюыэ":
        pattern = f"{re.escape(lowered[1:])}(?:{_CONSONANT})"
    pattern = _YO.sub("[её]", pattern or re.escape(lowered[1:]))
    first = {word[0].upper(), word[0].lower()} if len(word) > 3 else {word[0].upper()}
    if first & set("ЕЁеё"):
        first |= {c for c in "ЕЁеё" if c.isupper() or len(word) > 3}
    # Short names (Ян, Ли) are ordinary syllables in lower case: only capitalised they count.
    return "".join(sorted(first)), f"(?i:{pattern})"


@functools.lru_cache(maxsize=256)
def _names_regex(names: tuple[str | None, ...]) -> re.Pattern[str] | None:
    """The pattern of a user's names (kept per names: every model call scrubs with it)."""
    words: list[str] = []
    for name in names:
        for word in re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", name or ""):
            if len(word) >= 2 and word.lower() not in _NOT_NAMES and word not in words:
                words.append(word)
    if not words:
        return None
    parts = [_word_pattern(word) for word in sorted(words, key=len, reverse=True)]
    starts = re.escape("".join(sorted({c for first, _ in parts for c in first})))
    rests = "|".join(f"(?<=[{re.escape(first)}]){rest}" for first, rest in parts)
    whole = "|".join(f"[{re.escape(first)}]{rest}" for first, rest in parts)
    # Starts with a character class, so the engine skips to candidates in C; the left
    # neighbour is checked after the first letter. A full name ("Иван Иванов", "Иванову
    # Ивану") is one placeholder, not two.
    return re.compile(rf"[{starts}](?<![\w\[].)(?:{rests})(?:[ \u00a0]+(?:{whole}))?(?!\w)")


class PiiScrubber:
    """Placeholders for personal data, for one chat turn or one text request (not shared:
    it remembers what it replaced)."""

    def __init__(self, *, names: Iterable[str | None] = (), public_ips: bool = True) -> None:
        self._placeholders: dict[tuple[str, str], str] = {}
        self._originals: dict[str, str] = {}  # lowered placeholder → original
        self._taken: set[str] = set()  # lowered placeholders issued or seen in the input
        self._counts = dict.fromkeys(KINDS, 0)
        self._names = _names_regex(tuple(names))
        self._public_ips = public_ips
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
        return placeholder

    def scrub(self, text: str) -> str:
        """text with every detected value replaced by its placeholder."""
        if not text:
            return text
        scrubbed = self._scrubbed.get(text)
        if scrubbed is None:
            scrubbed = self._scrubbed[text] = self._scrub(text)
        return scrubbed

    def _scrub(self, text: str) -> str:
        if "[" in text:
            # A placeholder-shaped literal in the input is never reused for another value.
            self._taken.update(match.group(0).lower() for match in PLACEHOLDER.finditer(text))
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
