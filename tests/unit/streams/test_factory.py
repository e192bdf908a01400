"""The Faust app the workers run: the consumer settings Faust itself does not expose."""

from __future__ import annotations

import asyncio

from hub_settings import HubSettings, load_settings
from streams._factory import create_faust_app


def _with_fetch_wait(wait_ms: int) -> HubSettings:
    settings = load_settings()
    streams = settings.streams.model_copy(update={"fetch_max_wait_ms": wait_ms})
    return settings.model_copy(update={"streams": streams})


def test_worker_consumer_takes_the_fetch_wait_from_the_settings() -> None:
    """faust-streaming builds the worker's aiokafka consumer with fetch_max_wait_ms=1500,
    a literal; the hub's setting replaces it (built twice: no wrapper on a wrapper)."""

    async def built(wait_ms: int) -> int:
        app = create_faust_app(_with_fetch_wait(wait_ms))
        consumer = app.consumer._thread._create_worker_consumer(app.transport)
        try:
            wait: int = consumer._fetch_max_wait_ms
            return wait
        finally:
            await consumer.stop()

    assert asyncio.run(built(77)) == 77
    assert asyncio.run(built(100)) == 100
    assert load_settings().streams.fetch_max_wait_ms == 100
