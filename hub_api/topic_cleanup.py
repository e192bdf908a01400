"""Cleaning up after a test pipeline, a benchmark or a soak: its topics go, so a long-lived
dev broker (or a shared cluster) does not fill up with them."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

log = logging.getLogger(__name__)


def delete_topics_with_prefix(config: dict[str, Any], prefixes: Sequence[str]) -> int:
    """Delete every topic whose name starts with one of ``prefixes``; how many went.

    Each test pipeline or benchmark hub makes about 70 topics (inboxes, tables'
    changelogs, repartitions); left behind, a few hundred runs fill a developer's broker
    past its heap, and every client then decodes them all in each metadata response.
    """
    with contextlib.closing(KafkaAdminClient(**config)) as admin:
        doomed = [t for t in admin.list_topics() if t.startswith(tuple(prefixes))]
        if doomed:
            with contextlib.suppress(KafkaError):
                admin.delete_topics(doomed, timeout_ms=30_000)
    log.info("deleted %d topics starting with %s", len(doomed), ", ".join(prefixes))
    return len(doomed)
