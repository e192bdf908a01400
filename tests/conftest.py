"""Session-wide fixtures: one real Kafka broker for the whole run, unique topics per test.

With ``HUB_KAFKA_BOOTSTRAP`` set the tests use that cluster and start nothing. Otherwise the
local broker (``hub kafka start``) is started once, reused if already running, and stopped at
the end only if this session started it.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Callable, Iterator

import pytest
from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError

from hub_api.localkafka import LocalKafka
from hub_settings import HubSettings, KafkaSettings, load_settings
from tests.support.pipeline import pipeline  # noqa: F401 -- the session pipeline fixture

NewTopicFactory = Callable[..., str]

_broker: LocalKafka | None = None


@pytest.fixture(scope="session")
def settings() -> Iterator[HubSettings]:
    """Settings of a hub pointed at the session's real broker."""
    global _broker
    base = load_settings(environment="test")
    if base.kafka.external:
        yield base
        return
    broker = LocalKafka(base.local_kafka, progress=print)
    started = broker.start()
    _broker = broker
    kafka = KafkaSettings(**{**base.kafka.model_dump(), "bootstrap": base.local_kafka.bootstrap})
    try:
        yield base.model_copy(update={"kafka": kafka})
    finally:
        _broker = None
        if started:
            broker.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(settings: HubSettings) -> str:
    return settings.bootstrap


@pytest.fixture(scope="session")
def kafka_admin(settings: HubSettings) -> Iterator[KafkaAdminClient]:
    admin = KafkaAdminClient(**settings.kafka_client_config())
    yield admin
    admin.close()


@pytest.fixture
def new_topic(
    request: pytest.FixtureRequest, kafka_admin: KafkaAdminClient
) -> Iterator[NewTopicFactory]:
    """Create uniquely named topics for this test: ``new_topic(prefix, partitions, compacted)``."""
    created: list[str] = []
    test_name = re.sub(r"[^a-zA-Z0-9]+", "-", request.node.name)[:60].strip("-")

    def make(prefix: str = "t", partitions: int = 1, compacted: bool = False) -> str:
        name = f"{prefix}.{test_name}.{uuid.uuid4().hex[:8]}"
        configs = {"cleanup.policy": "compact"} if compacted else {}
        kafka_admin.create_topics(
            [
                NewTopic(
                    name, num_partitions=partitions, replication_factor=1, topic_configs=configs
                )
            ],
            wait_for_metadata=True,
        )
        created.append(name)
        return name

    yield make
    if created:
        # cleanup only; a leftover topic does not affect other tests
        with contextlib.suppress(KafkaError):
            kafka_admin.delete_topics(created)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """When a test fails and the broker has died, show the broker's log tail."""
    report: pytest.TestReport = yield
    if report.failed and _broker is not None and not _broker.status().running:
        report.sections.append(("Kafka broker died; log tail", _broker.log_tail(60)))
    return report
