"""The Faust app the workers run: the consumer settings Faust itself does not expose."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from hub_settings import HubSettings, load_settings
from streams._factory import create_faust_app, table_options


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


def test_rocksdb_tables_take_the_memory_bounds_from_the_settings(tmp_path: Path) -> None:
    """Faust's RocksDB defaults (3 x 64 MB memtables and a 2 GB block cache per table
    partition) are replaced by the hub's settings for every table built with them."""
    settings = load_settings()
    streams = settings.streams.model_copy(
        update={
            "table_store": "rocksdb://",
            "data_dir": tmp_path,
            "rocksdb_write_buffer_mb": 3,
            "rocksdb_block_cache_mb": 5,
        }
    )
    settings = settings.model_copy(update={"streams": streams})

    async def store_options() -> Any:
        app = create_faust_app(settings)
        table = app.Table("dossiers", default=None, options=table_options(settings))
        return table.data.rocksdb_options

    options = asyncio.run(store_options())
    assert options.write_buffer_size == 3 * 1024 * 1024
    assert options.max_write_buffer_number == 2
    assert options.block_cache_size == 5 * 1024 * 1024
