"""``hub dev`` end to end: the real command, its children and demo traffic, on the session
broker with its own topic prefix, directories and ports."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, TopicPartition

from hub_api.topic_cleanup import delete_topics_with_prefix
from hub_settings import HubSettings
from schemas.topics import TopicNames
from tests.support.pipeline import kafka_env
from tests.support.processes import REPO

pytestmark = pytest.mark.integration

DOSSIERS = 10


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _states(settings: HubSettings, topic: str, codes: set[str]) -> dict[str, dict[str, Any]]:
    """The latest tracked state of each of ``codes`` on the dossier-state topic."""
    consumer = KafkaConsumer(**settings.kafka_client_config(), enable_auto_commit=False)
    found: dict[str, dict[str, Any]] = {}
    try:
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(consumer.position(tp) < ends[tp] for tp in tps):
            for records in consumer.poll(timeout_ms=300).values():
                for record in records:
                    code = record.key.decode() if record.key else ""
                    if code in codes and record.value:
                        found[code] = json.loads(record.value)
    finally:
        consumer.close()
    return found


@pytest.fixture
def dev_env(settings: HubSettings, tmp_path: Path) -> Iterator[dict[str, str]]:
    run = uuid.uuid4().hex[:8]
    prefix, app_id = f"d{run}.hub", f"hub-dev-{run}"
    env = {
        **kafka_env(settings.kafka, settings.bootstrap),
        "HUB_TOPIC_PREFIX": prefix,
        "HUB_SCHEMAS_TOPIC": f"{prefix}._schemas",
        "HUB_STREAMS_APP_ID": app_id,
        "HUB_STREAMS_PARTITIONS": "2",
        "HUB_STREAMS_DATA_DIR": str(tmp_path / "streams"),
        "HUB_STREAMS_WEB_ENABLED": "false",
        "HUB_STREAMS_METRICS_PORT": "0",
        "HUB_STREAMS_OVERDUE_SCAN_INTERVAL_S": "2",
        "HUB_SECURITY_KEYS_DIR": str(tmp_path / "keys"),
        "HUB_API_HOST": "127.0.0.1",
        "HUB_API_PORT": str(_free_port()),
    }
    try:
        yield env
    finally:
        delete_topics_with_prefix(settings.kafka_client_config(), [f"{prefix}.", app_id])


def test_hub_dev_runs_the_stack_and_traffic_flows(
    settings: HubSettings, dev_env: dict[str, str], tmp_path: Path
) -> None:
    summary_file = tmp_path / "summary.json"
    argv = [
        sys.executable, "-m", "hub_api.cli", "dev", "--dossiers", str(DOSSIERS), "--rate", "40",
        "--seed", "7", "--exit-when-done", "--peers-port", "0", "--connector-metrics-port", "0",
        "--summary-json", str(summary_file),
    ]  # fmt: skip
    result = subprocess.run(
        argv,
        cwd=REPO,
        env={**os.environ, **dev_env},
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    logs = tmp_path / "dev" / "logs"
    context = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr[-4000:]}"
    for log in sorted(logs.glob("*.log")):
        context += f"\n--- {log.name}\n" + "\n".join(log.read_text().splitlines()[-15:])
    assert result.returncode == 0, context
    report = json.loads(summary_file.read_text())

    # The summary: every dossier reached its planned status, every event was accepted.
    assert report["dossiers"] == DOSSIERS
    assert report["stuck"] == {}, context
    assert report["reached_planned_status"] == DOSSIERS, context
    assert report["events"]["sent"] > 3 * DOSSIERS
    assert report["events"]["accepted"] == report["events"]["sent"], context
    assert report["events"]["quarantined"] == 0, context
    assert {"late", "paid", "supplement", "linked", "registry"} <= set(report["traits"])
    assert "Demo traffic summary" in result.stdout
    assert f"http://127.0.0.1:{dev_env['HUB_API_PORT']}/docs" in result.stdout

    # Every fake legacy system took deliveries from its connector.
    deliveries = report["deliveries"]
    assert deliveries["civil-status"].get("RegisterBirth", 0) >= 1, deliveries
    assert deliveries["population"].get("CheckCitizen", 0) >= 1, deliveries
    assert sum(deliveries["payment"].values()) >= 1, deliveries
    assert sum(deliveries["postal"].values()) >= 1, deliveries
    assert sum(deliveries["portal"].values()) >= 1, deliveries

    # The tracking table (the hub's own sink) agrees with the API's answers.
    final = report["final"]
    topic = TopicNames(dev_env["HUB_TOPIC_PREFIX"]).dossier_state
    states = _states(settings, topic, set(final))
    assert {code: states[code]["status"] for code in states} == {
        code: entry["expected"] for code, entry in final.items()
    }
