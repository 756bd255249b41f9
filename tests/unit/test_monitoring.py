"""deploy/: the alert rules, the scrape config and the Grafana dashboard's queries are valid for
Prometheus, each alert fires and stays quiet as its promtool unit tests say, every metric an alert
or a panel reads is one the service exports (a misspelt name would make an alert that can never
fire), the dashboard shows what the alerts watch, and the README names every alert and metric.

promtool ships with Debian's `prometheus` package (`.ci/run` installs it). Where it is missing
the promtool tests are skipped, saying so; with REQUIRE_PROMTOOL=1 (CI) they fail instead.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY

from tests.unit.container_files import ROOT

PROMETHEUS = ROOT / "deploy" / "prometheus"
ALERTS = PROMETHEUS / "alerts.yml"
ALERTS_TEST = PROMETHEUS / "alerts_test.yml"
CONFIG = PROMETHEUS / "prometheus.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "mantenimiento.json"
# The processes' entry modules: between them they import every module that declares a metric.
METRIC_MODULES = ("gateway.app", "workers.main")

PROMTOOL = os.environ.get("PROMTOOL") or shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None and os.environ.get("REQUIRE_PROMTOOL") != "1",
    reason="no promtool installed (apt-get install prometheus)",
)
# Sample names a family of each type exposes, besides its own name for gauges.
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def promtool(*args: str | Path) -> str:
    assert PROMTOOL is not None, "REQUIRE_PROMTOOL=1 but no promtool (apt-get install prometheus)"
    done = subprocess.run(
        [PROMTOOL, *map(str, args)], capture_output=True, text=True, timeout=60, cwd=PROMETHEUS
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def dashboard_panels() -> list[dict[str, Any]]:
    return [panel for panel in json.loads(DASHBOARD.read_text())["panels"] if "targets" in panel]


def dashboard_queries() -> dict[str, str]:
    """Each panel query's expression, by a recording rule's name for it."""
    return {
        f"dashboard_panel_{panel['id']}_{target['refId']}": target["expr"]
        for panel in dashboard_panels()
        for target in panel["targets"]
    }


def our_metrics(expr: str) -> set[str]:
    return set(re.findall(r"\bmantenimiento_\w+", expr))


def service_metrics() -> dict[str, str]:
    """The service's metric families: name (a counter's with `_total`) → type."""
    for module in METRIC_MODULES:
        importlib.import_module(module)
    return {
        family.name + ("_total" if family.type == "counter" else ""): family.type
        for family in REGISTRY.collect()
        if family.name.startswith("mantenimiento_")
    }


def exported_samples() -> set[str]:
    """Every sample name the service's metrics can expose, observed yet or not."""
    return {
        name.removesuffix("_total") + suffix
        for name, kind in service_metrics().items()
        for suffix in SUFFIXES.get(kind, ("",))
    }


@needs_promtool
def test_the_rules_are_valid() -> None:
    assert f"SUCCESS: {len(alert_rules())} rules found" in promtool("check", "rules", ALERTS)


@needs_promtool
def test_each_alert_fires_and_stays_quiet_as_its_unit_tests_say() -> None:
    assert "SUCCESS" in promtool("test", "rules", ALERTS_TEST)


@needs_promtool
def test_the_scrape_config_is_valid_and_loads_the_alerts() -> None:
    assert "1 rule files found" in promtool("check", "config", CONFIG)


def test_every_alert_has_a_firing_and_a_quiet_case() -> None:
    cases: dict[str, set[bool]] = {}
    for test in yaml.safe_load(ALERTS_TEST.read_text())["tests"]:
        for case in test.get("alert_rule_test", []):
            cases.setdefault(case["alertname"], set()).add(bool(case["exp_alerts"]))
    assert {rule["alert"]: {True, False} for rule in alert_rules()} == cases


def test_the_alerts_read_metrics_the_service_exports() -> None:
    exported = exported_samples()
    for rule in alert_rules():
        ours = our_metrics(rule["expr"])
        assert ours <= exported, (rule["alert"], ours - exported)


@needs_promtool
def test_the_dashboard_queries_parse(tmp_path: Path) -> None:
    # promtool parses PromQL in rules only: one recording rule per panel query.
    rules = [{"record": name, "expr": expr} for name, expr in dashboard_queries().items()]
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    assert f"SUCCESS: {len(rules)} rules found" in promtool("check", "rules", path)


def test_the_dashboard_reads_metrics_the_service_exports_and_what_the_alerts_watch() -> None:
    panels = dashboard_panels()
    assert len({panel["id"] for panel in panels}) == len(panels)
    # Every panel asks the data source chosen in the dashboard's variable.
    assert {panel["datasource"]["uid"] for panel in panels} == {"${datasource}"}
    exported = exported_samples()
    for name, expr in dashboard_queries().items():
        assert our_metrics(expr) <= exported, (name, our_metrics(expr) - exported)
    shown = " ".join(dashboard_queries().values())
    for rule in alert_rules():
        watched = our_metrics(rule["expr"]) or set(re.findall(r"\brabbitmq_\w+", rule["expr"]))
        assert watched and all(metric in shown for metric in watched), rule["alert"]


def test_the_readme_names_every_alert_and_metric() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [rule["alert"] for rule in alert_rules() if f"`{rule['alert']}`" not in readme]
    missing += [name for name in service_metrics() if f"`{name}`" not in readme]
    assert not missing, f"README.md's Operating it lacks {missing}"
