"""`{% fig fact_id %}`: a fact's value linked to its source, or "—" when there is none."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from reports.render import figure_html

register = template.Library()


@register.simple_tag(takes_context=True)
def fig(context, fact_id: str | None, missing: str = "—"):
    fact = context["facts"].get(fact_id) if fact_id else None
    return figure_html(fact) if fact is not None else missing


@register.simple_tag(takes_context=True)
def kpi(context, fact_id: str):
    """A KPI card: the fact's label and its linked value."""
    fact = context["facts"][fact_id]
    return format_html(
        '<div class="kpi"><div class="label">{}</div><div class="value">{}</div></div>',
        fact.label,
        figure_html(fact),
    )
