"""DRF's JSON parser, with a body nested past Python's recursion limit refused like any other
malformed body (DRF catches ValueError only, so `[[[[...]]]]` reached the 500 handler)."""

from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None
