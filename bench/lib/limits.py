"""Limits a load never reaches: a benchmark's few demo users ask hundreds of questions, more
than a person's daily budget or questions a minute. The checks still run on every question
and model call, so their cost stays in what is measured (bench/governance_overhead.py
measures them alone)."""

from __future__ import annotations

import json

_ROLES = ("user", "admin", "super_admin", "demouser")
_UNLIMITED = {
    "tokens_per_day": 10**12,
    "rub_per_day": 10**9,
    "questions_per_minute": 10**6,
    "tool_calls_per_minute": 10**6,
}

UNLIMITED_ENV = {
    "AGENT_ROLE_LIMITS_JSON": json.dumps({role: _UNLIMITED for role in _ROLES}),
    "AGENT_DAILY_CAP_RUB": "1000000000",
}
