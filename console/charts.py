"""The analytics page's cost trend as inline SVG geometry (drawn by the server: no script):
the daily cost line, and each anomaly's peak with the range its day was expected in."""

from __future__ import annotations

WIDTH, HEIGHT, PAD = 720.0, 220.0, 24.0


def trend_chart(*, points: list, anomalies: list) -> dict:
    """`points`: tools.daily_series.DayPoint, one a day (not the trend tool's buckets, so
    every anomaly's day is on the line)."""
    if not points:
        return {"points": "", "marks": [], "width": WIDTH, "height": HEIGHT}
    values = [p.daily_total for p in points]
    for anomaly in anomalies:
        values += [anomaly.expected_low.amount, anomaly.expected_high.amount]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = (WIDTH - 2 * PAD) / max(len(points) - 1, 1)

    def y(value: float) -> float:
        return round(HEIGHT - PAD - (value - low) / span * (HEIGHT - 2 * PAD), 1)

    x_of = {p.day.isoformat(): round(PAD + n * step, 1) for n, p in enumerate(points)}
    marks = [
        {
            "x": x_of[a.peak_date],
            "y": y(a.actual.amount),
            "band_top": y(a.expected_high.amount),
            "band_bottom": y(a.expected_low.amount),
            "anomaly": a,
        }
        for a in anomalies
        if a.peak_date in x_of
    ]
    line = " ".join(f"{x_of[p.day.isoformat()]},{y(p.daily_total)}" for p in points)
    return {
        "points": line,
        "marks": marks,
        "width": WIDTH,
        "height": HEIGHT,
        "low": low,
        "high": high,
        "first": points[0].day,
        "last": points[-1].day,
    }
