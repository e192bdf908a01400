"""A minimal Faust application run as a real worker process by test_faust_compat.

It counts events per key in a table and forwards each event, with its headers and the
running count, to an output topic. Topic names come from the test through the environment;
the cluster's security settings (``HUB_KAFKA_*``) as for every hub process.
"""

from __future__ import annotations

import os
from typing import Any

import faust

from hub_settings import load_settings
from streams.credentials import faust_broker_credentials

app = faust.App(
    os.environ["PROBE_APP_ID"],
    broker=f"kafka://{os.environ['PROBE_BOOTSTRAP']}",
    broker_credentials=faust_broker_credentials(load_settings().kafka),
    store="memory://",
    topic_partitions=1,
    topic_replication_factor=1,
    web_enabled=False,
    producer_acks=-1,
)
source = app.topic(os.environ["PROBE_IN"], key_type=bytes, value_type=bytes, value_serializer="raw")
sink = app.topic(os.environ["PROBE_OUT"], key_type=bytes, value_type=bytes, value_serializer="raw")
counts = app.Table("probe-counts", default=int, partitions=1)


@app.agent(source)
async def count_and_forward(stream: Any) -> None:
    async for event in stream.events():
        key = event.key.decode()
        counts[key] += 1
        headers = (
            list(event.headers.items()) if hasattr(event.headers, "items") else list(event.headers)
        )
        headers.append(("probe-count", str(counts[key]).encode()))
        await sink.send(key=event.key, value=event.value, headers=headers)
