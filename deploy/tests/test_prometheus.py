"""The alerting rules and the scrape config load in Debian's Prometheus tools, and every alert
fires where it should and not where it should not (`promtool test rules`)."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from core import metrics

PROMETHEUS = Path(__file__).resolve().parents[1] / "prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


def _promtool(*args: str) -> subprocess.CompletedProcess:
    if not Path(PROMTOOL).exists():
        pytest.fail(
            "promtool missing: scripts/ensure_system_packages.sh installs Debian's prometheus"
        )
    return subprocess.run(
        [PROMTOOL, *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=120
    )


def test_the_alerting_rules_are_valid():
    result = _promtool("check", "rules", "alerts.yml")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 7 rules found" in result.stdout


def test_every_alert_fires_where_it_should_and_only_there():
    result = _promtool("test", "rules", "alerts_test.yml")

    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_case_in_the_rule_tests():
    alerts = set(re.findall(r"^\s+- alert: (\w+)", (PROMETHEUS / "alerts.yml").read_text(), re.M))
    tested = set(re.findall(r"alertname: (\w+)", (PROMETHEUS / "alerts_test.yml").read_text()))

    assert alerts == tested


def test_the_rules_use_only_metrics_the_service_exports_or_prometheus_makes():
    text = (PROMETHEUS / "alerts.yml").read_text()
    used = set(re.findall(r"\b(infrazen_agent_\w+?)(?:_total|_bucket|_count|_sum)?\b", text))
    exported = {
        collector._name
        for collector in vars(metrics).values()
        if hasattr(collector, "_name") and hasattr(collector, "_type")
    }

    assert used <= exported


def test_the_rules_aggregate_only_by_labels_their_metric_has():
    text = (PROMETHEUS / "alerts.yml").read_text()
    labels = {
        collector._name: set(collector._labelnames)
        | ({"le"} if collector._type == "histogram" else set())
        for collector in vars(metrics).values()
        if hasattr(collector, "_name") and hasattr(collector, "_labelnames")
    }
    grouped = re.findall(
        r"by \(([\w, ]+)\) \(\w+\((infrazen_agent_\w+?)(?:_total|_bucket)?[\[{]", text
    )

    assert grouped
    for names, metric in grouped:
        assert {name.strip() for name in names.split(",")} <= labels[metric], metric


def test_the_scrape_config_example_is_valid(tmp_path):
    config = tmp_path / "prometheus.yml"
    rules = tmp_path / "infrazen-agent-alerts.yml"
    shutil.copy(PROMETHEUS / "alerts.yml", rules)
    config.write_text(
        (PROMETHEUS / "prometheus.yml")
        .read_text()
        .replace("/etc/prometheus/infrazen-agent-alerts.yml", str(rules))
    )

    result = _promtool("check", "config", str(config))

    assert result.returncode == 0, result.stdout + result.stderr
