"""Checks of rendered chart manifests that a Kubernetes schema cannot make.

Run by ``deploy/helm/check.sh`` on the output of ``helm template``: pods are non-root with a
read-only root filesystem and limits; the API and workers have their probes; no more
workers than partitions; each connector config loads with the hub's own loader; the catalog
ConfigMap rebuilds into the same catalog as ``registry/catalog``; the Prometheus Operator
objects point at ports and rules that exist. Exit status 1 and one line per problem.

``--dashboard-rules DASHBOARD.json`` prints the dashboard's queries as a Prometheus rule
file (Grafana variables filled in) so that ``promtool check rules`` checks their syntax.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from connectors.config import load_config
from connectors.errors import ConfigError
from registry.catalog_loader import DEFAULT_CATALOG_DIR, load_catalog
from registry.errors import CatalogError

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "deploy" / "grafana" / "alerts.yaml"
Manifest = dict[str, Any]


def _pods(docs: list[Manifest]) -> Iterator[tuple[str, Manifest]]:
    for doc in docs:
        if doc["kind"] in {"Deployment", "Job"}:
            yield f"{doc['kind']}/{doc['metadata']['name']}", doc["spec"]["template"]["spec"]


def _check_pods(docs: list[Manifest]) -> Iterator[str]:
    for name, pod in _pods(docs):
        if not pod.get("securityContext", {}).get("runAsNonRoot"):
            yield f"{name}: pod securityContext.runAsNonRoot is not true"
        tmp = [v for v in pod["volumes"] if v["name"] == "tmp" and "emptyDir" in v]
        for container in pod["containers"]:
            where = f"{name} container {container['name']}"
            context = container.get("securityContext", {})
            if context.get("readOnlyRootFilesystem") is not True:
                yield f"{where}: root filesystem is writable"
            if context.get("allowPrivilegeEscalation") is not False:
                yield f"{where}: allowPrivilegeEscalation is not false"
            resources = container.get("resources", {})
            if not resources.get("requests") or not resources.get("limits"):
                yield f"{where}: resource requests and limits are required"
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            if not tmp or mounts.get("/tmp") != "tmp":  # noqa: S108 - the pod's own emptyDir
                yield f"{where}: /tmp is not an emptyDir"


def _container(docs: list[Manifest], component: str) -> Manifest:
    for doc in docs:
        labels = doc["metadata"]["labels"]
        if doc["kind"] == "Deployment" and labels["app.kubernetes.io/component"] == component:
            containers: list[Manifest] = doc["spec"]["template"]["spec"]["containers"]
            return containers[0]
    raise LookupError(component)


def _check_probes(docs: list[Manifest]) -> Iterator[str]:
    api = _container(docs, "api")
    if api["readinessProbe"]["httpGet"]["path"] != "/readyz":
        yield "api: readiness probe is not /readyz"
    if api["livenessProbe"]["httpGet"]["path"] != "/healthz":
        yield "api: liveness probe is not /healthz"
    worker = _container(docs, "worker")
    web = {p["name"]: p["containerPort"] for p in worker["ports"]}.get("faust-web")
    env = _env(docs)
    if web is None or str(web) != env["HUB_STREAMS_WEB_PORT"]:
        yield "worker: the faust-web port is not HUB_STREAMS_WEB_PORT"
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        action = worker[probe].get("tcpSocket") or worker[probe].get("httpGet") or {}
        if action.get("port") != "faust-web":
            yield f"worker: {probe} does not probe the Faust web port"


def _env(docs: list[Manifest]) -> dict[str, str]:
    for doc in docs:
        if doc["kind"] == "ConfigMap" and doc["metadata"]["name"].endswith("-env"):
            data: dict[str, str] = doc["data"]
            return data
    raise LookupError("env ConfigMap")


def _check_workers(docs: list[Manifest]) -> Iterator[str]:
    partitions = int(_env(docs)["HUB_STREAMS_PARTITIONS"])
    for doc in docs:
        component = doc["metadata"]["labels"].get("app.kubernetes.io/component")
        if component != "worker":
            continue
        most = doc["spec"].get("replicas") or doc["spec"].get("maxReplicas")
        scales = doc["kind"] in {"Deployment", "HorizontalPodAutoscaler"}
        if scales and most is not None and int(most) > partitions:
            yield f"{doc['kind']} worker: {most} replicas > {partitions} partitions"


def _check_connectors(docs: list[Manifest]) -> Iterator[str]:
    for doc in docs:
        text = doc.get("data", {}).get("connector.yaml") if doc["kind"] == "ConfigMap" else None
        if text is None:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "connector.yaml"
            path.write_text(text, encoding="utf-8")
            try:
                load_config(path)
            except ConfigError as exc:
                yield f"ConfigMap/{doc['metadata']['name']}: {exc}"


def _check_catalog(docs: list[Manifest]) -> Iterator[str]:
    data = next(
        d["data"]
        for d in docs
        if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("-catalog")
    )
    for name, pod in _pods(docs):
        volumes = [v["configMap"] for v in pod["volumes"] if v["name"] == "catalog"]
        if not volumes:
            continue
        items = volumes[0]["items"]
        if {i["key"] for i in items} != set(data):
            yield f"{name}: catalog volume items do not cover the ConfigMap's keys"
        with tempfile.TemporaryDirectory() as tmp:
            for item in items:
                target = Path(tmp) / item["path"]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(data[item["key"]], encoding="utf-8")
            try:
                mounted, source = load_catalog(tmp), load_catalog(DEFAULT_CATALOG_DIR)
            except CatalogError as exc:
                yield f"{name}: the mounted catalog does not load: {exc}"
                continue
            if mounted.entries() != source.entries():
                yield f"{name}: the mounted catalog differs from registry/catalog"


def _check_monitoring(docs: list[Manifest]) -> Iterator[str]:
    ports = {p["name"] for d in docs if d["kind"] == "Service" for p in d["spec"]["ports"]}
    for doc in docs:
        if doc["kind"] == "ServiceMonitor":
            for endpoint in doc["spec"]["endpoints"]:
                if endpoint["port"] not in ports:
                    yield f"ServiceMonitor: no Service has a port named {endpoint['port']}"
        if doc["kind"] == "PrometheusRule":
            if doc["spec"] != yaml.safe_load(ALERTS.read_text(encoding="utf-8")):
                yield "PrometheusRule: differs from deploy/grafana/alerts.yaml"
            for group in doc["spec"]["groups"]:
                for rule in group["rules"]:
                    if not {"alert", "expr", "labels", "annotations"} <= set(rule):
                        yield f"PrometheusRule: incomplete rule {rule.get('alert')}"


def check(path: Path) -> list[str]:
    docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    problems: list[str] = []
    for checker in (
        _check_pods,
        _check_probes,
        _check_workers,
        _check_connectors,
        _check_catalog,
        _check_monitoring,
    ):
        problems += [f"{path.name}: {p}" for p in checker(docs)]
    return problems


_GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h"}


def dashboard_rules(path: Path) -> str:
    """The dashboard's queries as recording rules (``dashboard:query:<n>``)."""
    dashboard = json.loads(path.read_text(encoding="utf-8"))
    queries = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    rules = []
    for number, query in enumerate(queries):
        for variable, value in _GRAFANA_VARIABLES.items():
            query = query.replace(variable, value)
        query = re.sub(r"\$\{?[a-z_]+\}?", ".*", query)  # $agency, $connector: match all
        rules.append({"record": f"dashboard:query:{number}", "expr": query})
    return yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, sort_keys=False)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--dashboard-rules"]:
        print(dashboard_rules(Path(argv[1])), end="")
        return 0
    problems = [p for name in argv for p in check(Path(name))]
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"check_rendered: {len(argv)} manifest sets ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
