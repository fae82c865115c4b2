"""Chat text that cannot start an HTML tag, whatever a client does with it.

The model's answer is stored and streamed as it came, so an answer holding `<script>` or
`<img onerror=…>` would run in a client that renders chat text as raw HTML. The InfraZen
client and ours escape it, but the text is made safe for any client: a zero-width space
(U+200B) goes after every `<`. HTML's tokenizer starts a tag only at `<` followed by a letter,
`/`, `!` or `?`, so `<` + U+200B is text; an escaping client shows the answer as the model
wrote it (the space has no width); `**bold**` and newlines are untouched.

The change is idempotent (a `<` already followed by U+200B is left alone) and local to each
`<`, so a streamed answer can be neutralised piece by piece (`HtmlStream`) and its deltas
still add up to the neutralised whole.
"""

from __future__ import annotations

import re

ZERO_WIDTH_SPACE = "\u200b"
_OPEN = re.compile("<(?!\u200b)")


def html_neutralise(text: str) -> str:
    if "<" not in text:
        return text
    return _OPEN.sub("<" + ZERO_WIDTH_SPACE, text)


class HtmlStream:
    """Neutralises a text that arrives in pieces: the pieces it returns add up to
    `html_neutralise` of the whole. A piece ending in `<` is given its U+200B at once; if the
    next piece then starts with one of its own, that one is the U+200B the whole would keep,
    and is dropped."""

    def __init__(self) -> None:
        self.after_open = False

    def piece(self, text: str) -> str:
        if not text:
            return text
        if self.after_open and text.startswith(ZERO_WIDTH_SPACE):
            text = text[1:]
            if not text:
                self.after_open = False
                return text
        self.after_open = text.endswith("<")
        return html_neutralise(text)
