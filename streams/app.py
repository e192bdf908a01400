"""The Faust application of the hub's stream workers (and nothing else: see topics,
tables and each agent in their own modules). Run with ``hub worker``."""

from __future__ import annotations

from hub_settings import load_settings
from streams._factory import create_faust_app

settings = load_settings()
app = create_faust_app(settings)
