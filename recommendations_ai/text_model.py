"""The shape a model must answer in, with validators that hold it to the facts.

Instructor sends the validation errors back to the model once; if the answer still fails,
the deterministic template text is served and the generation record says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from recommendations_ai.grounding import allowed_numbers, ungrounded_numbers
from recommendations_ai.sanitize import visible_text
from ru_format import rub

SHORT_LIMITS = (20, 110)
DETAILED_LIMITS = (80, 400)

_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z0-9]+)([^>]*)>")
_ALLOWED_TAGS = {"strong", "em", "br"}
_SPAN_ATTRS = re.compile(r"""^\s*class\s*=\s*(['"])provider-name\1\s*$""")


def html_problems(html: str) -> list[str]:
    problems = []
    for closing, tag, attrs in _TAG.findall(html):
        tag = tag.lower()
        if tag == "span" and (closing or _SPAN_ATTRS.match(attrs)):
            continue
        if tag in _ALLOWED_TAGS and not attrs.strip().strip("/"):
            continue
        problems.append(f"<{closing}{tag}{attrs}>")
    return problems


@dataclass(frozen=True)
class TextsCheck:
    """What RecommendationTexts checks an answer against: one recommendation's facts."""

    allowed: frozenset[float]
    savings: float


CONTEXT_KEY = "texts_check"


def _without_field_titles(schema: dict) -> None:
    # Pydantic titles every field after its name ("Short Description Html"): tokens that
    # tell the model nothing the name does not.
    for field_schema in schema.get("properties", {}).values():
        field_schema.pop("title", None)


class RecommendationTexts(BaseModel):
    """Тексты карточки."""

    model_config = ConfigDict(json_schema_extra=_without_field_titles)

    short_description_html: str = Field(description="60–80 видимых символов")
    detailed_description_html: str = Field(description="200–300 видимых символов")

    @model_validator(mode="after")
    def grounded(self, info: ValidationInfo) -> RecommendationTexts:
        check = (info.context or {}).get(CONTEXT_KEY)
        if not isinstance(check, TextsCheck):
            # Without the facts nothing can be checked, so nothing passes.
            raise ValueError("no facts to check the texts against")
        errors = []
        texts = {
            "short_description_html": (self.short_description_html, SHORT_LIMITS),
            "detailed_description_html": (self.detailed_description_html, DETAILED_LIMITS),
        }
        for name, (html, (low, high)) in texts.items():
            if bad := html_problems(html):
                errors.append(f"{name}: запрещённый HTML {', '.join(bad[:3])}")
            visible = visible_text(html)
            if not low <= len(visible) <= high:
                errors.append(f"{name}: {len(visible)} символов, нужно {low}–{high}")
            if stray := ungrounded_numbers(visible, check.allowed):
                shown = ", ".join(f"{n:g}" for n in stray[:5])
                errors.append(f"{name}: числа не из FACTS: {shown}")
        if check.savings >= 0.5:
            both = visible_text(self.short_description_html + " " + self.detailed_description_html)
            if rub(check.savings) not in both:
                errors.append(f"нет суммы экономии {rub(check.savings)} ₽/мес")
        if errors:
            raise ValueError("; ".join(errors))
        return self


def texts_validation_context(*, facts: dict) -> dict:
    """The validation context that binds RecommendationTexts to one recommendation's facts.

    One model class for every request (its JSON schema is built once); the facts travel in
    the context, so validating without them fails.
    """
    check = TextsCheck(
        allowed=frozenset(allowed_numbers(facts)), savings=facts.get("savings_monthly") or 0
    )
    return {CONTEXT_KEY: check}
