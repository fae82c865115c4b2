"""`{% console_enabled %}`: whether the admin's header links to the console."""

from __future__ import annotations

from django import template

from console.access import console_enabled as enabled

register = template.Library()


@register.simple_tag
def console_enabled() -> bool:
    return enabled()
