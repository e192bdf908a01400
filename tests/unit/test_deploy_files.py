"""Deployment files refer to things that exist: the Dockerfile's COPY sources, the Helm
chart's linked config files and HUB_* variables, and the metric names used by the Grafana
dashboard and the alert rules (checked against ``schemas.metric_names``).

Rendering the chart with the real ``helm`` is ``deploy/helm/check.sh`` (``make helm-check``).
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry
from pydantic_settings import BaseSettings

from connectors.metrics import ConnectorMetrics
from hub_api.metrics import ApiMetrics
from hub_settings import HubSettings
from registry import load_catalog
from schemas import EVENT_TYPES, KafkaMessage, metric_names
from schemas.message import CE_TYPE
from schemas.metric_names import ALL_METRICS, MetricSpec
from schemas.rejects import REASON, STAGE
from streams.metrics import WorkerMetrics

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
CHART = ROOT / "deploy" / "helm" / "thanhhoa-hub"
GRAFANA = ROOT / "deploy" / "grafana"
OPERATIONS = ROOT / "docs" / "operations.md"

_METRIC = re.compile(r"\bhub_[a-z0-9_]+\b")
_HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
# Environment variables the chart sets that are not hub settings (and why).
_NOT_SETTINGS = {
    "HUB_CONNECTOR_KEY_PASSPHRASE",  # the connector config's default key.passphrase_env
}


# --- Dockerfile ----------------------------------------------------------------------------
def _instructions(path: Path) -> Iterator[tuple[str, list[str]]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            word, _, rest = stripped.partition(" ")
            yield word.upper(), shlex.split(rest)


def _copy_sources() -> list[str]:
    sources: list[str] = []
    for word, args in _instructions(DOCKERFILE):
        if word == "COPY" and not any(a.startswith("--from") for a in args):
            sources += [a for a in args[:-1] if not a.startswith("--")]
    return sources


def test_dockerfile_copies_only_files_that_exist() -> None:
    sources = _copy_sources()
    assert sources, "the Dockerfile copies nothing"
    missing = [s for s in sources if not (ROOT / s).exists()]
    assert not missing, f"deploy/Dockerfile copies paths that do not exist: {missing}"


def test_dockerfile_copies_every_installed_package() -> None:
    """A package added to pyproject's package list but not copied would vanish from the image."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = {
        p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    copied = {s.strip("/").split("/")[0] for s in _copy_sources()}
    assert packages <= copied, f"not copied into the image: {sorted(packages - copied)}"
    assert {"pyproject.toml", pyproject["project"]["readme"]} <= copied


def test_dockerfile_is_multi_stage_and_runs_as_non_root() -> None:
    instructions = list(_instructions(DOCKERFILE))
    stages = [args for word, args in instructions if word == "FROM"]
    assert len(stages) >= 2
    users = [args[0] for word, args in instructions if word == "USER"]
    assert users, "no USER: the image would run as root"
    uid = users[-1].split(":")[0]
    assert uid.isdigit(), "a numeric USER lets Kubernetes check runAsNonRoot"
    assert int(uid) != 0
    assert any(
        word == "ARG" and args[0].startswith("PYTHON_IMAGE=python:3.11-slim")
        for word, args in instructions
    )


# --- Helm chart ----------------------------------------------------------------------------
def _chart_values() -> dict[str, dict[str, Any]]:
    return {
        path.name: yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted(CHART.glob("values*.yaml"))
    }


def test_chart_files_link_into_the_repository() -> None:
    links = sorted((CHART / "files").iterdir())
    assert links
    for link in links:
        target = link.resolve()
        assert target.exists(), f"{link.relative_to(ROOT)} points at nothing"
        assert target.is_relative_to(ROOT), f"{link.relative_to(ROOT)} leaves the repository"
    assert (CHART / "files" / "catalog").resolve() == ROOT / "registry" / "catalog"


def test_chart_templates_read_only_files_that_exist() -> None:
    templates = "\n".join(p.read_text(encoding="utf-8") for p in (CHART / "templates").iterdir())
    referenced = re.findall(r'\.Files\.(Get|Glob) "([^"]+)"', templates)
    assert referenced
    for kind, pattern in referenced:
        found = list(CHART.glob(pattern.replace("**.", "**/*."))) if kind == "Glob" else []
        exists = bool(found) if kind == "Glob" else (CHART / pattern).is_file()
        assert exists, f"the chart reads {pattern}, which matches no file"


def test_connector_files_named_in_values_exist() -> None:
    for name, values in _chart_values().items():
        for key, connector in (values.get("connectors") or {}).items():
            if "file" in connector:
                path = CHART / connector["file"]
                assert path.is_file(), f"{name}: connectors.{key}.file {path} does not exist"
            else:
                assert connector["config"]["name"], f"{name}: connectors.{key} has no config"


def _setting_env_names() -> set[str]:
    names = {"HUB_" + field.upper() for field in HubSettings.model_fields}
    for field in HubSettings.model_fields.values():
        section = field.annotation
        if isinstance(section, type) and issubclass(section, BaseSettings):
            prefix = str(section.model_config.get("env_prefix", ""))
            names |= {prefix + name.upper() for name in section.model_fields}
    return names


def test_chart_sets_only_hub_variables_the_settings_read() -> None:
    """A misspelt HUB_* variable would be ignored silently (``extra="ignore"``): every one
    the chart or the image sets must be a setting."""
    files = [*(CHART / "templates").iterdir(), DOCKERFILE]
    text = "\n".join(p.read_text(encoding="utf-8") for p in files)
    used = set(re.findall(r"\bHUB_[A-Z0-9_]+\b", text))
    unknown = used - _setting_env_names() - _NOT_SETTINGS
    assert not unknown, f"the chart sets variables no setting reads: {sorted(unknown)}"
    for required in (
        "HUB_KAFKA_BOOTSTRAP",
        "HUB_KAFKA_SECURITY_PROTOCOL",
        "HUB_KAFKA_SASL_MECHANISM",
        "HUB_KAFKA_SASL_USERNAME",
        "HUB_KAFKA_SASL_PASSWORD",
        "HUB_KAFKA_SSL_CAFILE",
        "HUB_TOPIC_PREFIX",
        "HUB_STREAMS_PARTITIONS",
        "HUB_STREAMS_REPLICATION_FACTOR",
        "HUB_STREAMS_TABLE_STORE",
        "HUB_SIGNING_KEY_FILE",
        "HUB_SIGNING_KEY_PASSPHRASE",
        "HUB_API_PORT",
        "HUB_API_HOST",
    ):
        assert required in used, f"the chart does not set {required}"


def test_production_values_describe_a_three_broker_cluster() -> None:
    production = _chart_values()["values-production.yaml"]
    kafka, streams = production["kafka"], production["streams"]
    assert len(kafka["bootstrap"].split(",")) == 3
    assert kafka["securityProtocol"] == "SASL_SSL"
    assert kafka["tls"]["enabled"]
    assert streams["replicationFactor"] == 3
    assert streams["tableStore"].startswith("rocksdb://")
    workers = production["workers"]
    assert workers["replicas"] <= streams["partitions"]
    assert workers["autoscaling"]["maxReplicas"] <= streams["partitions"]


# --- metrics, dashboard, alerts --------------------------------------------------------------
def _catalogue() -> dict[str, MetricSpec]:
    return {spec.name: spec for spec in ALL_METRICS}


def _series_names() -> set[str]:
    """Every series name a scrape of the catalogue's metrics can show."""
    names: set[str] = set()
    for spec in ALL_METRICS:
        names.add(spec.name)
        if spec.kind == "histogram":
            names |= {spec.name + suffix for suffix in _HISTOGRAM_SUFFIXES}
    return names


def test_metric_catalogue_is_consistent() -> None:
    exported = [v for v in vars(metric_names).values() if isinstance(v, MetricSpec)]
    assert len(exported) == len(ALL_METRICS) == len(_catalogue())
    for spec in ALL_METRICS:
        assert re.fullmatch(r"hub_[a-z][a-z0-9_]*", spec.name), spec.name
        assert spec.name.endswith("_total") == (spec.kind == "counter"), spec.name
        if spec.kind == "histogram":
            assert spec.name.endswith("_seconds"), spec.name
        assert len(set(spec.labels)) == len(spec.labels)
        assert all(re.fullmatch(r"[a-z][a-z0-9_]*", label) for label in spec.labels)
        assert spec.exported_by
        assert set(spec.exported_by) <= {"api", "worker", "connector"}
    buckets = metric_names.LATENCY_BUCKETS_SECONDS
    assert list(buckets) == sorted(set(buckets))
    assert 0.1 in buckets


def _registry_of(process: str) -> CollectorRegistry:
    """The registry of a freshly built metrics class of ``process`` (no network)."""
    if process == "api":
        api = ApiMetrics()
        api.watch_views(load_catalog, lambda: ["a-subject"])
        refused = ((CE_TYPE, EVENT_TYPES[0].ce_type.encode()), (REASON, b"bad_signature"))
        api.refused(KafkaMessage(b"key", b"value", (*refused, (STAGE, b"api"))))
        return api.registry
    if process == "worker":
        worker = WorkerMetrics(e.ce_type for e in EVENT_TYPES)
        worker.set_registry(load_catalog(), 1)
        return worker.registry
    return ConnectorMetrics("civil-status-test").registry


def _families(registry: CollectorRegistry) -> dict[str, tuple[str, set[frozenset[str]]]]:
    """Exposition name -> (kind, label-name sets of its samples) of a registry's families."""
    found: dict[str, tuple[str, set[frozenset[str]]]] = {}
    for family in registry.collect():
        name = family.name + "_total" if family.type == "counter" else family.name
        labels = {frozenset(s.labels) - {"le"} for s in family.samples}
        found[name] = (family.type, labels)
    return found


@pytest.mark.parametrize("process", ["api", "worker", "connector"])
def test_each_process_registers_exactly_the_metrics_the_catalogue_gives_it(process: str) -> None:
    """Catalogue (``exported_by``) and code cannot drift: each process's metrics class
    registers every metric naming it, with its kind and labels, no other ``hub_*`` one, and
    the process basics."""
    families = _families(_registry_of(process))
    hub = {name: kind for name, (kind, _) in families.items() if name.startswith("hub_")}
    expected = {spec.name: spec.kind for spec in ALL_METRICS if process in spec.exported_by}
    assert hub == expected
    for spec in ALL_METRICS:
        if spec.name in hub:
            shown = families[spec.name][1]
            assert shown <= {frozenset(spec.labels)}, f"{process}: {spec.name} labels {shown}"
    basics = {name.split("_")[0] for name in families if not name.startswith("hub_")}
    assert {"process", "python"} <= basics, f"{process} has no process basics"


def test_api_and_worker_report_the_same_registry_kinds() -> None:
    for process in ("api", "worker"):
        [family] = [f for f in _registry_of(process).collect() if f.name == "hub_registry_entries"]
        assert [s.labels["kind"] for s in family.samples] == list(metric_names.REGISTRY_KINDS)


def test_quarantine_stages_in_the_code_are_catalogued() -> None:
    """Every stage the code writes to a quarantine record (and counts) is in the catalogue."""
    used: set[str] = set()
    for path in [*(ROOT / "streams").glob("*.py"), *(ROOT / "hub_api").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        calls = re.findall(r'await quarantine\((?:[^"]|"[^"]*")*?"([a-z_]+)",\s*origin\s*\)', text)
        # streams: await quarantine(message, reason, detail, "<stage>", origin)
        assert len(calls) == text.count("await quarantine("), f"{path}: a stage not literal"
        used |= set(calls)
        used |= set(re.findall(r'\bstage="([a-z_]+)"', text))  # Rejection(stage=...)
    assert used == set(metric_names.QUARANTINE_STAGES)


def test_operations_guide_documents_every_metric() -> None:
    guide = OPERATIONS.read_text(encoding="utf-8")
    missing = [spec.name for spec in ALL_METRICS if f"`{spec.name}`" not in guide]
    assert not missing, f"docs/operations.md does not describe {missing}"


def _dashboard_exprs() -> list[str]:
    dashboard = json.loads((GRAFANA / "thanhhoa-hub-dashboard.json").read_text(encoding="utf-8"))
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "duplicate panel ids"
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    exprs += [v["definition"] for v in dashboard["templating"]["list"] if "definition" in v]
    return exprs


def _alert_rules() -> list[dict[str, Any]]:
    rules = yaml.safe_load((GRAFANA / "alerts.yaml").read_text(encoding="utf-8"))
    return [rule for group in rules["groups"] for rule in group["rules"]]


@pytest.mark.parametrize("source", ["dashboard", "alerts"])
def test_dashboard_and_alerts_use_catalogued_metrics(source: str) -> None:
    exprs = _dashboard_exprs() if source == "dashboard" else [r["expr"] for r in _alert_rules()]
    assert exprs
    used = {name for expr in exprs for name in _METRIC.findall(expr)}
    unknown = used - _series_names()
    assert not unknown, f"{source} uses metrics outside schemas/metric_names.py: {unknown}"


def test_dashboard_covers_the_operational_views() -> None:
    used = {name for expr in _dashboard_exprs() for name in _METRIC.findall(expr)}
    for name in (
        "hub_events_in_total",
        "hub_end_to_end_seconds_bucket",
        "hub_consumer_lag",
        "hub_events_quarantined_total",
        "hub_connector_breaker_open",
        "hub_dossiers_overdue",
    ):
        assert name in used, f"the dashboard shows no {name}"


def test_every_alert_has_severity_summary_and_a_runbook_section() -> None:
    guide = OPERATIONS.read_text(encoding="utf-8").lower()
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", h).strip().replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", guide, re.MULTILINE)
    }
    names = [rule["alert"] for rule in _alert_rules()]
    assert len(names) == len(set(names))
    for rule in _alert_rules():
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        page, _, anchor = rule["annotations"]["runbook"].partition("#")
        assert page == "docs/operations.md", rule["alert"]
        assert anchor in anchors, f"{rule['alert']}: no section #{anchor} in docs/operations.md"
    for required in (
        "HubConsumerLagGrowing",
        "HubQuarantineSpike",
        "HubConnectorBreakerOpen",
        "HubOverdueRising",
        "HubNoEvents",
    ):
        assert required in names


def test_every_alert_has_a_promtool_unit_test() -> None:
    """``deploy/grafana/alerts-test.yaml`` (run by check.sh) makes each alert fire once."""
    tests = yaml.safe_load((GRAFANA / "alerts-test.yaml").read_text(encoding="utf-8"))
    assert tests["rule_files"] == ["alerts.yaml"]
    firing = {
        case["alertname"]
        for test in tests["tests"]
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }
    untested = {rule["alert"] for rule in _alert_rules()} - firing
    assert not untested, f"alerts without a firing test in alerts-test.yaml: {sorted(untested)}"
