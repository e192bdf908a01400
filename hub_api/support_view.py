"""A live, in-memory view of support requests: the API's read path for ``streams.support``.

``streams.support`` writes each request's state to the compacted ``hub.support-state``
topic (key: request id, value: ``SupportState`` JSON). The view reads every partition from
the beginning in a thread and follows it; SSE subscribers get each new state pushed onto
their queue. Built on first use by the support router (or handed in by tests).
"""

from __future__ import annotations

import contextlib
import logging

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from hub_api._state_view import StateView
from hub_settings import HubSettings
from registry.support import SupportState
from schemas.support_topics import support_commands, support_state

log = logging.getLogger(__name__)

__all__ = ["SupportView", "ensure_support_topics"]


class SupportView(StateView[SupportState]):
    """Support request states by id, kept current from the support-state topic."""

    model = SupportState
    name = "support view"

    def start(self, wait_s: float = 10.0) -> SupportView:
        return super().start(wait_s)


def ensure_support_topics(settings: HubSettings) -> None:
    """Create the support commands and state topics if the worker has not yet (idempotent).

    Same partition count as the dossier topics (``HUB_STREAMS_PARTITIONS``), so commands
    keyed by a dossier code are co-partitioned with the dossier table.
    """
    streams, prefix = settings.streams, settings.topic_prefix
    wanted = [
        NewTopic(support_commands(prefix), streams.partitions, streams.replication_factor),
        NewTopic(
            support_state(prefix),
            streams.partitions,
            streams.replication_factor,
            topic_configs={"cleanup.policy": "compact"},
        ),
    ]
    admin = KafkaAdminClient(**settings.kafka_client_config())
    try:
        existing = set(admin.list_topics())
        missing = [t for t in wanted if t.name not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(missing, wait_for_metadata=True)
    finally:
        admin.close()
