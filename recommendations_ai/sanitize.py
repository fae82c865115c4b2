"""The one HTML gate for recommendation texts.

InfraZen's UI injects these texts with innerHTML (contract §4.1), so whatever a model writes
passes through `html_sanitize` before it is stored. The allow-list is the product
description's (§6.1.3): strong, em, br, and span with class provider-name, nothing else.
"""

from __future__ import annotations

import functools
import html
import re

import nh3

ALLOWED_TAGS = frozenset({"strong", "em", "br", "span"})
PROVIDER_CLASS = "provider-name"
# Tags whose content is code, not text: dropped with the tag instead of unwrapped.
DROPPED_CONTENT_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "object"})

# nh3 serialises attributes with double quotes; InfraZen's texts (and its CSS examples) use
# single quotes. Normalising makes template output a fixed point of html_sanitize, so a stored
# text is byte-for-byte what was rendered.
_NH3_PROVIDER_SPAN = f'<span class="{PROVIDER_CLASS}">'
PROVIDER_SPAN = f"<span class='{PROVIDER_CLASS}'>"

_LINE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "span" and attribute == "class" and value.strip() == PROVIDER_CLASS:
        return PROVIDER_CLASS
    return None


# Built once: nh3.clean builds its sanitizer from the arguments on every call.
_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(DROPPED_CONTENT_TAGS),
    attributes={"span": {"class"}},
    attribute_filter=_keep_attribute,
    generic_attribute_prefixes=set(),
    strip_comments=True,
    link_rel=None,
    url_schemes=set(),
)


@functools.lru_cache(maxsize=256)
def html_sanitize(html_text: str) -> str:
    # Remembered: a model's answer is sanitised by each validator's visible_text and then
    # for storing, the same few strings in a row.
    cleaned = _CLEANER.clean(html_text)
    return cleaned.replace(_NH3_PROVIDER_SPAN, PROVIDER_SPAN)


def visible_text(html_text: str) -> str:
    """What a reader sees: tags dropped, entities decoded, whitespace collapsed."""
    # After sanitising only inline tags remain: they add no space, a line break does.
    text = _TAG.sub("", _LINE_BREAK.sub(" ", html_sanitize(html_text)))
    return " ".join(html.unescape(text).split())
