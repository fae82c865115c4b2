"""What llm.pii's detectors check once a pattern matched: the checksums of INN, SNILS and
bank cards, a Russian phone's shape, whether an address is public, and the pattern of a
user's own names in their common Russian case forms.

Pure: no Django, no settings.
"""

from __future__ import annotations

import functools
import ipaddress
import re

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
def names_regex(names: tuple[str | None, ...]) -> re.Pattern[str] | None:
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
