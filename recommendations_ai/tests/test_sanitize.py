from __future__ import annotations

import re

import pytest

from recommendations_ai.sanitize import html_sanitize, visible_text

SPAN = "<span class='provider-name'>"
PROVIDER = f"{SPAN}selectel</span>"


def test_it_keeps_the_allowed_tags_and_the_provider_span_as_is():
    text = f"Экономия <strong>261 ₽/мес</strong> в {PROVIDER}, <em>важно</em><br>дальше"
    assert html_sanitize(text) == text


def test_it_writes_the_provider_class_with_single_quotes_whatever_the_input_used():
    assert html_sanitize('<span class="provider-name">beget</span>') == (
        "<span class='provider-name'>beget</span>"
    )
    assert html_sanitize("<span class=provider-name>beget</span>") == (
        "<span class='provider-name'>beget</span>"
    )


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        "<style>body{display:none}</style>",
        "<iframe src='https://evil.example'></iframe>",
        "<noscript><img src=x></noscript>",
        "<!-- <script>alert(1)</script> -->",
    ],
)
def test_it_drops_code_elements_with_their_content(attack):
    cleaned = html_sanitize(f"до{attack}после")
    assert cleaned == "допосле"


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ('<strong onclick="alert(1)">1 ₽</strong>', "<strong>1 ₽</strong>"),
        ("<strong onmouseover=alert(1)>1 ₽</strong>", "<strong>1 ₽</strong>"),
        ('<strong style="color:red">1 ₽</strong>', "<strong>1 ₽</strong>"),
        ("<em title=x lang=en>a</em>", "<em>a</em>"),
        ("<span class=provider-name onmouseover=alert(1)>x</span>", f"{SPAN}x</span>"),
        ("<span class='provider-name' style='x'>x</span>", "<span class='provider-name'>x</span>"),
        ("<span class='evil'>x</span>", "<span>x</span>"),
        ("<span class='provider-name evil'>x</span>", "<span>x</span>"),
        ("<span id=provider-name>x</span>", "<span>x</span>"),
        ("<strong class='provider-name'>x</strong>", "<strong>x</strong>"),
        ('<img src=x onerror="alert(1)">', ""),
        ("<svg onload=alert(1)><circle/></svg>", ""),
        ("<a href='https://evil.example'>ссылка</a>", "ссылка"),
        ("<a href='javascript:alert(1)'>ссылка</a>", "ссылка"),
        ("<b>жирный</b> <i>курсив</i> <p>абзац</p>", "жирный курсив абзац"),
        ("<ul><li>пункт</li></ul>", "пункт"),
    ],
)
def test_it_strips_attributes_and_tags_outside_the_allow_list(dirty, clean):
    assert html_sanitize(dirty) == clean


@pytest.mark.parametrize(
    "trick",
    [
        "<scr<script>ipt>alert(1)</script>",
        "<<script>script>alert(1)<</script>/script>",
        "<strong><script>alert(1)</script></strong>",
        "<strong <script>>x</strong>",
        '<span class="provider-name"><img src=x onerror=alert(1)></span>',
        "<strong>1 ₽</strong onmouseover=alert(1)>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<a href=&#106;avascript:alert(1)>x</a>",
        "<div style='background:url(javascript:alert(1))'>x</div>",
    ],
)
def test_nested_and_malformed_tricks_leave_no_live_markup(trick):
    cleaned = html_sanitize(trick)
    tags = re.findall(r"<\s*/?\s*([a-zA-Z]+)", cleaned)
    assert set(tags) <= {"strong", "em", "br", "span"}
    assert "onerror" not in cleaned.replace("&lt;", "")
    assert not re.search(r"<[^>]*(on\w+|style|href|src)\s*=", cleaned, re.IGNORECASE)
    assert html_sanitize(cleaned) == cleaned


def test_text_special_characters_stay_escaped():
    assert html_sanitize("a < b & c > d") == "a &lt; b &amp; c &gt; d"


def test_sanitising_twice_changes_nothing():
    dirty = "<p>Экономия <strong style=x>1 ₽</strong> <span class=provider-name>yandex</span></p>"
    once = html_sanitize(dirty)
    assert html_sanitize(once) == once


def test_visible_text_drops_tags_and_decodes_entities():
    html = f"Экономия <strong>261&nbsp;₽/мес</strong> в {PROVIDER} &amp; <em>ещё</em>"
    assert visible_text(html) == "Экономия 261 ₽/мес в selectel & ещё"


def test_visible_text_collapses_whitespace_and_treats_a_line_break_as_a_space():
    assert visible_text("  первая\n\n строка<br>вторая\tстрока  ") == "первая строка вторая строка"


def test_visible_text_adds_no_space_around_inline_tags():
    assert visible_text("стоит <strong>5,349 ₽/мес</strong>.") == "стоит 5,349 ₽/мес."


def test_visible_text_never_shows_script_content():
    assert visible_text("a<script>alert(1)</script>b") == "ab"
