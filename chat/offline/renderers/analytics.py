"""Answers about the spending over time: the key figures, the trend, the anomalies."""

from __future__ import annotations

from typing import Any

from chat.offline import wording
from chat.offline.answer import (
    TEXT_MAX_CHARS,
    Answer,
    bold,
    clean,
    has_money_text,
    joined,
    lower_first,
    numbered,
    percent,
    signed_percent,
)
from ru_format import rub
from tools import get_analytics_overview, get_anomalies, get_cost_trends

ANOMALIES_MIN_DAYS = 7
# A driver of an anomaly is named when it moved at least this share of the day's deviation.
DRIVER_MIN_SHARE = 0.2


def _change(a: Answer, value: float | None, key: str, **values: Any) -> str | None:
    if value is None:
        return None
    change = a.say("no_change") if value == 0 else signed_percent(value)
    return a.say(key, change=change, **values)


def _overview_lead(a: Answer, overview: get_analytics_overview.Result) -> str:
    if overview.monthly_cost is None:
        return a.say("ov_no_cost")
    date = a.date(overview.cost_date)
    changes = joined(
        [
            _change(
                a,
                overview.change_over_range_percent,
                "change_over",
                period=a.count(overview.time_range_days, "day"),
            ),
            _change(a, overview.change_vs_previous_day_percent, "change_prev_day"),
        ],
        "; ",
    )
    return a.say(
        "ov_lead",
        monthly=bold(a.rub(overview.monthly_cost)),
        daily=a.rub(overview.daily_cost),
        date=a.say("on_date", date=date) if date else "",
        changes=f"; {changes}" if changes else "",
    )


def _sync_line(a: Answer, overview: get_analytics_overview.Result) -> str:
    text = a.say("ov_sync", when=a.date(overview.last_sync_at, time=True))
    status = a.label(wording.SYNC_STATUSES, overview.last_sync_status)
    text += f": {status}" if status else ""
    if overview.providers_total:
        text += a.say(
            "ov_sync_providers",
            ok=overview.providers_successful or 0,
            total=overview.providers_total,
        )
    failed = [
        clean(h.connection_name, 40) for h in overview.provider_health if h.status != "success"
    ]
    if failed:
        text += a.say("ov_sync_problems", names=", ".join(failed))
    return text + "."


def _overview(a: Answer, overview: get_analytics_overview.Result) -> tuple[str, list[str | None]]:
    lead = _overview_lead(a, overview)
    details: list[str | None] = [a.count(overview.active_resources, "active_resource") + "."]
    if overview.pending_recommendations:
        details.append(
            a.say(
                "ov_pending",
                count=a.count(overview.pending_recommendations, "recommendation"),
                savings=bold(a.rub(overview.pending_savings)),
                yearly=a.rub(overview.pending_savings_yearly),
            )
        )
    else:
        details.append(a.say("ov_no_pending"))
    if overview.last_sync_at:
        details.append(_sync_line(a, overview))
    # The lead already says when costs are unknown.
    if (
        overview.note
        and overview.monthly_cost is not None
        and not a.en
        and not has_money_text(overview.note)
    ):
        details.append(clean(overview.note, TEXT_MAX_CHARS))
    return lead, details


def answer_overview(a: Answer) -> list[str]:
    """The KPIs; an unknown question gets them and what can be asked."""
    overview = a.get(get_analytics_overview.Result)
    tail = a.can_ask() if a.plan.intent == "overview" else a.next_step("overview")
    if overview is None:
        return [*a.missing(), tail]
    return a.finish(*_overview(a, overview), tail)


def answer_trends(a: Answer) -> list[str]:
    trends, overview = a.get(get_cost_trends.Result), a.get(get_analytics_overview.Result)
    if trends is None or trends.latest_daily_cost is None:
        if overview is not None:
            lead, details = _overview(a, overview)
            lines = [lead, *numbered(details)]
        elif trends is not None:
            lines = [a.say("tr_no_data", period=a.count(trends.time_range_days, "day"))]
        else:
            lines = []
        return [*lines, *a.missing(), a.pick(wording.NEXT_STEPS_NO_DATA)]
    change = trends.change_over_range_percent
    key = "tr_flat" if not change else "tr_up" if change > 0 else "tr_down"
    lead = a.say(
        key,
        period=a.count(trends.time_range_days, "day"),
        change=percent(change or 0),
        now=bold(a.rub(trends.latest_daily_cost)),
        rate=bold(a.rub(trends.latest_monthly_run_rate)),
    )
    details: list[str | None] = []
    if trends.average_daily_cost and trends.min_daily_cost and trends.max_daily_cost:
        high = a.rub(trends.max_daily_cost)
        peak = max(trends.points, key=lambda p: p.daily_cost, default=None)
        if trends.bucket_days == 1 and peak and peak.daily_cost == trends.max_daily_cost.amount:
            high += f" ({a.date(peak.date)})"
        details.append(
            a.say(
                "tr_range",
                avg=a.rub(trends.average_daily_cost),
                low=a.rub(trends.min_daily_cost),
                high=high,
            )
        )
    details.append(_change(a, trends.day_over_day_change_percent, "tr_day_over_day"))
    if trends.bucket_days > 1:
        details.append(a.say("tr_buckets", period=a.count(trends.bucket_days, "day")))
    if trends.partial_days:
        details.append(a.say("tr_partial", days=trends.partial_days))
    if overview is not None and overview.pending_recommendations:
        details.append(a.say("tr_pending", savings=bold(a.rub(overview.pending_savings))))
    return a.finish(lead, details, a.next_step("trends"))


def _anomaly(a: Answer, anomaly: get_anomalies.Anomaly) -> str:
    start, end = a.date(anomaly.date), a.date(anomaly.end_date)
    when = start if anomaly.days == 1 or start == end else f"{start} – {end}"
    if anomaly.days > 1:
        when += f" ({a.count(anomaly.days, 'day')})"
    spike = anomaly.direction == "spike"
    low = rub(anomaly.expected_low.amount)
    text = a.say(
        "an_line",
        when=when,
        kind=a.say("an_spike" if spike else "an_drop"),
        actual=a.rub(anomaly.actual),
        low=low,
        high=a.rub(anomaly.expected_high),
        deviation=signed_percent(anomaly.deviation_percent),
    )
    moved = abs(anomaly.actual.amount - anomaly.expected.amount)
    drivers = [
        d
        for d in anomaly.drivers
        if (d.delta.amount > 0) == spike and abs(d.delta.amount) >= DRIVER_MIN_SHARE * moved
    ][:2]
    if drivers:
        names = ", ".join(
            f"{clean(d.connection_name, 40)} ({'+' if spike else '−'}"
            f"{a.rub(abs(d.delta.amount), 'day')})"
            for d in drivers
        )
        text += a.say("an_drivers", names=names)
    if spike and anomaly.excess_total.amount > 0:
        text += a.say("an_excess", extra=a.rub_total(anomaly.excess_total, "an_excess_over"))
    return text + "."


def answer_anomalies(a: Answer) -> list[str]:
    result = a.get(get_anomalies.Result)
    if result is None:
        return a.no_data()
    period = a.count(result.time_range_days, "day")
    if result.points_analysed < ANOMALIES_MIN_DAYS:
        lead = (
            a.say("an_few", period=a.count(result.points_analysed, "day"))
            if result.points_analysed
            else a.say("an_no_history")
        )
        return [lead, *a.missing(), a.next_step("anomalies_none")]
    coverage = ""
    if result.points_analysed < result.time_range_days:
        coverage = a.say("an_coverage", days=a.count(result.points_analysed, "day"))
    if not result.anomalies:
        lead = a.say("an_none", period=period, coverage=coverage)
        return [lead, *a.missing(), a.next_step("anomalies_none")]
    latest = result.anomalies[0]
    lead = a.say(
        "an_lead",
        period=period,
        coverage=coverage,
        count=a.count(len(result.anomalies), "anomaly"),
        kind=a.say("an_spike_lead" if latest.direction == "spike" else "an_drop_lead"),
        date=a.date(latest.peak_date),
        actual=bold(a.rub(latest.actual)),
        expected=a.rub(latest.expected),
    )
    truncated = a.say("an_truncated") if result.truncated else None
    method = a.say("an_method", method=lower_first(clean(result.method, TEXT_MAX_CHARS)))
    details = [_anomaly(a, anomaly) for anomaly in result.anomalies]
    return a.finish(lead, details, truncated, method, a.next_step("anomalies"))
