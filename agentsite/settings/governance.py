"""Roles, budgets and the service's daily cap (governance)."""

from __future__ import annotations

from .base import env

# --- Roles and budgets (governance) --------------------------------------------------------
# Per role, per InfraZen user: model tokens and roubles a Moscow day (reset at 00:00
# Europe/Moscow), questions and tool calls a minute. AGENT_ROLE_LIMITS_JSON overrides any of
# them, e.g. {"user": {"rub_per_day": 300}}; per-user overrides are edited in the admin. A role
# not listed here gets the `user` limits.
AGENT_ROLE_LIMITS = {
    "user": {
        "tokens_per_day": 200_000,
        "rub_per_day": 150,
        "questions_per_minute": 10,
        "tool_calls_per_minute": 30,
    },
    "admin": {
        "tokens_per_day": 500_000,
        "rub_per_day": 500,
        "questions_per_minute": 20,
        "tool_calls_per_minute": 60,
    },
    "super_admin": {
        "tokens_per_day": 1_000_000,
        "rub_per_day": 1000,
        "questions_per_minute": 30,
        "tool_calls_per_minute": 120,
    },
    "demouser": {
        "tokens_per_day": 50_000,
        "rub_per_day": 30,
        "questions_per_minute": 5,
        "tool_calls_per_minute": 15,
    },
}
for _role, _overrides in env.json("AGENT_ROLE_LIMITS_JSON", default={}).items():
    AGENT_ROLE_LIMITS.setdefault(_role, dict(AGENT_ROLE_LIMITS["user"])).update(_overrides)
# The model of demo chats; empty: LLM_MODEL_TEXT.
LLM_MODEL_DEMO = env.str("LLM_MODEL_DEMO", default="")
# Roubles the whole service may spend on models a Moscow day; past it every answer comes from
# templates and the offline assistant, and says so, until midnight.
AGENT_DAILY_CAP_RUB = env.float("AGENT_DAILY_CAP_RUB", default=3000.0)
# Providers report USD (OpenRouter per call); budgets are in roubles.
USD_RUB_RATE = env.float("USD_RUB_RATE", default=90.0)
# Days of budget counters the database keeps before today (`manage.py budget_counters_purge`,
# daily); Redis keys expire on their own.
AGENT_BUDGET_COUNTERS_KEEP_DAYS = env.int("AGENT_BUDGET_COUNTERS_KEEP_DAYS", default=35)
