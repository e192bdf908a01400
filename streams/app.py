"""The Faust application of the hub's stream workers (and nothing else: see topics,
tables and each agent in their own modules). Run with ``hub worker``."""

from __future__ import annotations

from typing import Any

from hub_settings import load_settings
from streams._factory import create_faust_app, table_options

settings = load_settings()
app = create_faust_app(settings)


def table(name: str, **kwargs: Any) -> Any:
    """``app.Table`` with the hub's store options (RocksDB memory bounded per partition)."""
    return app.Table(name, options=table_options(settings), **kwargs)
