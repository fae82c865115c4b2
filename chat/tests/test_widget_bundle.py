"""The chat widget's bundle (static/agent-chat/agent-chat.js) is its parts joined."""

from __future__ import annotations

from scripts.widget_build import BUNDLE, widget_bundle


def test_the_widget_bundle_is_its_parts_joined():
    assert BUNDLE.read_text() == widget_bundle(), "run `python scripts/widget_build.py`"
