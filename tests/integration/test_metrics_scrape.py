"""``/metrics`` of a real stream worker and a real connector process, scraped over HTTP."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from kafka import KafkaAdminClient
from prometheus_client.parser import text_string_to_metric_families

from connectors.peers import CivilStatusPeer
from hub_settings import HubSettings
from schemas import KafkaMessage
from tests.integration.test_connector_outbound import civil_config
from tests.support.connectors import PASSPHRASE, Pipeline, dossier, make_pipeline, submitted
from tests.support.dossiers import dossier_event
from tests.support.pipeline import HAC_THANH, free_port, new_event
from tests.support.pipeline import Pipeline as HubPipeline
from tests.support.processes import ChildProcess, python_module

pytestmark = pytest.mark.integration

SUBMITTED = "vn.gov.thanhhoa.dossier.submitted"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(port: int) -> Samples:
    """Every sample of ``/metrics`` on ``port``, by (name, labels)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        assert response.status == 200
        text = response.read().decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def matching(samples: Samples, name: str, **labels: str) -> list[dict[str, str]]:
    """Label sets of the ``name`` samples that carry ``labels``."""
    wanted = set(labels.items())
    return [dict(key) for (n, key), _ in samples.items() if n == name and wanted <= key]


def eventually(port: int, check: Callable[[Samples], bool], timeout_s: float = 30.0) -> Samples:
    deadline = time.monotonic() + timeout_s
    while True:
        samples = scrape(port)
        if check(samples):
            return samples
        if time.monotonic() > deadline:
            hub = sorted(f"{n}{dict(k)}={v}" for (n, k), v in samples.items() if "hub_" in n)
            shown = "\n".join(hub)
            raise AssertionError(f"/metrics on {port} never satisfied the check:\n{shown}")
        time.sleep(0.5)


def test_worker_metrics_count_accepted_and_quarantined_events(pipeline: HubPipeline) -> None:
    port = pipeline.live_metrics_port()
    before = scrape(port)
    code = f"{HAC_THANH}-261203-7701"
    good = dossier_event(
        "DossierSubmitted",
        HAC_THANH,
        code,
        receiving_agency_id=HAC_THANH,
        procedure_code="1.001193",
    )
    signed = pipeline.sign(good)
    other = f"{HAC_THANH}-261203-7702"
    wrong_key = pipeline.sign(
        new_event(SUBMITTED, HAC_THANH, other, {**good.data, "dossier_code": other})
    )
    wrong_key = KafkaMessage(b"not-the-subject", wrong_key.value, wrong_key.headers)
    renamed = {"ce_type": b"vn.gov.thanhhoa.no.such_event", "ce_id": b"metrics-unknown-7703"}
    headers = tuple((n, renamed.get(n, v)) for n, v in signed.headers)
    unknown_type = KafkaMessage(signed.key, signed.value, headers)
    pipeline.send([signed, wrong_key, unknown_type])
    pipeline.records_for(pipeline.names.events("dossier"), code, 1)
    reason = pipeline.quarantined(dict(wrong_key.headers)["ce_id"].decode())["hub_reject_reason"]
    unknown_reason = pipeline.quarantined("metrics-unknown-7703")["hub_reject_reason"]

    def moved(now: Samples) -> bool:
        def grew(name: str, by: float = 1, **labels: str) -> bool:
            return value(now, name, **labels) >= value(before, name, **labels) + by

        return (
            grew("hub_events_in_total", 2, type=SUBMITTED)
            and grew("hub_events_in_total", type="unknown")
            and grew("hub_events_accepted_total", type=SUBMITTED)
            and grew("hub_events_quarantined_total", reason=reason, stage="verify")
            and grew("hub_events_quarantined_total", reason=unknown_reason, stage="verify")
            and grew("hub_verify_seconds_count", 3)
            and grew("hub_route_seconds_count")
            and grew("hub_end_to_end_seconds_count", type=SUBMITTED)
        )

    after = eventually(port, moved)
    assert reason == "key_subject_mismatch"
    assert value(after, "hub_events_accepted_total", type="unknown") == value(
        before, "hub_events_accepted_total", type="unknown"
    )
    assert value(after, "process_resident_memory_bytes") > 0
    # sampled every HUB_STREAMS_METRICS_INTERVAL_S: lag of the worker's group, depths, sizes
    group = pipeline.settings.streams.app_id
    ingress = pipeline.names.ingress
    sampled = eventually(
        port,
        lambda s: (
            bool(matching(s, "hub_consumer_lag", group=group, topic=ingress))
            and value(s, "hub_quarantine_depth") >= 2
            and bool(matching(s, "hub_dossiers", status="new"))
        ),
    )
    partitions = {
        labels["partition"] for labels in matching(sampled, "hub_consumer_lag", topic=ingress)
    }
    assert partitions == {"0", "1", "2"}  # the only worker owns every partition
    assert value(sampled, "hub_registry_entries", kind="agency") > 0
    assert value(sampled, "hub_schema_registry_subjects") > 0
    assert matching(sampled, "hub_dossiers_overdue")


@pytest.fixture
def pipe(
    settings: HubSettings, kafka_admin: KafkaAdminClient, tmp_path: Path
) -> Iterator[Pipeline]:
    yield from make_pipeline(settings, kafka_admin, tmp_path)


def test_connector_metrics_count_deliveries_retries_and_dead_letters(
    pipe: Pipeline, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        "HUB_KAFKA_BOOTSTRAP": pipe.settings.bootstrap,
        "HUB_TOPIC_PREFIX": pipe.settings.topic_prefix,
        "HUB_SCHEMAS_TOPIC": pipe.settings.schemas_topic,
        "TEST_CONNECTOR_PASSPHRASE": PASSPHRASE,
        "TEST_CIVIL_PASSWORD": "s3cret",
    }
    with CivilStatusPeer(username="quangphu", password="s3cret") as peer:
        raw = {**civil_config(peer), "metrics": {"port": port}}
        name = raw["name"]
        config = tmp_path / "civil.yaml"
        config.write_text(yaml.safe_dump(raw, allow_unicode=True))
        argv = python_module("connectors.cli", "connector", "run", str(config))
        child = ChildProcess("connector-metrics", argv, env, tmp_path).start()
        try:
            child.wait_for("metrics on http://", timeout_s=30)
            peer.set_mode("fail", times=1)  # one transient failure, then delivered
            pipe.publish_inbox([submitted(dossier(1))])
            eventually(
                port,
                lambda s: (
                    value(s, "hub_connector_deliveries_total", connector=name, outcome="delivered")
                    >= 1
                ),
            )
            peer.set_mode("fail_permanent", times=1)  # refused: dead-lettered
            pipe.publish_inbox([submitted(dossier(2))])
            samples = eventually(
                port,
                lambda s: (
                    value(
                        s, "hub_connector_deliveries_total", connector=name, outcome="deadlettered"
                    )
                    >= 1
                    and bool(matching(s, "hub_consumer_lag", topic=pipe.inbox))
                ),
            )
        finally:
            child.stop()
    assert value(samples, "hub_connector_deliveries_total", connector=name, outcome="retried") >= 1
    assert value(samples, "hub_connector_delivery_seconds_count", connector=name) >= 3
    assert (("hub_connector_breaker_open", frozenset({("connector", name)}))) in samples
    group = f"{pipe.settings.topic_prefix}.connector.{name}"
    lag = matching(samples, "hub_consumer_lag", group=group, topic=pipe.inbox)
    assert {labels["partition"] for labels in lag} == {"0", "1", "2"}
