"""Build static/agent-chat/agent-chat.js, the chat widget, from its parts.

The widget is one file InfraZen's pages load in place of two (chat-ui.js, chat-websocket.js),
so its source, kept in parts of under 500 lines in static/agent-chat/src/, is joined in order
into one script: base.js opens the wrapping function, client.js closes it. Both are checked
in; chat/tests/test_widget_bundle.py fails when the bundle is not the parts joined.

    python scripts/widget_build.py           # write agent-chat.js
    python scripts/widget_build.py --check   # exit 1 if it is out of date
"""

from __future__ import annotations

import argparse
import gzip
import sys
from pathlib import Path

WIDGET = Path(__file__).resolve().parents[1] / "static" / "agent-chat"
PARTS = ("base.js", "chat-ui.js", "frames.js", "client.js")
BUNDLE = WIDGET / "agent-chat.js"
SERVED = ("agent-chat.js", "agent-chat.css")
# Issue 21: JS and CSS together, gzipped.
GZIP_LIMIT_BYTES = 40 * 1024


def widget_bundle() -> str:
    return "\n".join((WIDGET / "src" / part).read_text().rstrip("\n") + "\n" for part in PARTS)


def widget_gzipped_bytes() -> dict[str, int]:
    """Each served file's size gzipped (level 9) and the two together, as browsers get them."""
    sizes = {name: len(gzip.compress((WIDGET / name).read_bytes(), 9)) for name in SERVED}
    return {**sizes, "total": sum(sizes.values())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the bundle is current")
    args = parser.parse_args()
    built = widget_bundle()
    if args.check:
        current = BUNDLE.exists() and BUNDLE.read_text() == built
        print("agent-chat.js is " + ("up to date" if current else "out of date: run the build"))
        return 0 if current else 1
    BUNDLE.write_text(built)
    print(f"wrote {BUNDLE} ({len(built.encode())} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
