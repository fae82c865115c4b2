"""The usage statistics tags the sync plugins write on servers."""

from __future__ import annotations

import random


def usage_tags(cpu_avg: float, ram_mb: int, rng: random.Random) -> dict[str, str]:
    mem_avg = round(ram_mb * rng.uniform(0.35, 0.7))
    return {
        "cpu_avg_usage": str(cpu_avg),
        "cpu_max_usage": str(round(min(100.0, cpu_avg * 2.6 + 4.1), 1)),
        "cpu_min_usage": str(round(cpu_avg * 0.2, 1)),
        "cpu_trend": "stable",
        "cpu_performance_tier": "low" if cpu_avg < 10 else "medium" if cpu_avg < 50 else "high",
        "cpu_data_points": "30",
        "cpu_period": "30d",
        "memory_avg_usage": str(mem_avg),
        "memory_max_usage": str(min(ram_mb, round(mem_avg * 1.4))),
        "memory_min_usage": str(round(mem_avg * 0.6)),
    }
