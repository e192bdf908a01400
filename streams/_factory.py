"""Builds the Faust App from the hub's settings."""

from __future__ import annotations

from typing import Any

import faust

from hub_settings import HubSettings
from streams.credentials import faust_broker_credentials

AGENT_MODULES = [
    "streams.verify",
    "streams.route",
    "streams.track",
    "streams.audit",
    "streams.notify",
    "streams.support",
]
"""Explicit autodiscovery list: every module that defines agents, tables or timers."""


def create_faust_app(settings: HubSettings) -> Any:
    """A Faust App with at-least-once processing, acks=all and the hub's topics' layout."""
    streams = settings.streams
    return faust.App(
        streams.app_id,
        broker=[f"kafka://{server}" for server in settings.bootstrap.split(",")],
        broker_credentials=faust_broker_credentials(settings.kafka),
        store=streams.table_store,
        datadir=str(streams.data_dir),
        autodiscover=AGENT_MODULES,
        origin="streams",
        # Known loss/duplicate bugs with exactly_once and agent concurrency > 1: at-least-once,
        # one actor per partition, deduplication at every side effect by event id.
        processing_guarantee="at_least_once",
        topic_partitions=streams.partitions,
        topic_replication_factor=streams.replication_factor,
        producer_acks=-1,
        producer_linger=0.005,  # batch sends for 5 ms: far fewer tiny produce requests
        consumer_auto_offset_reset="earliest",
        table_standby_replicas=0,
        broker_commit_every=500,
        broker_commit_interval=1.0,
        broker_session_timeout=streams.session_timeout_s,
        broker_heartbeat_interval=streams.heartbeat_interval_s,
        web_enabled=streams.web_enabled,
        web_port=streams.web_port,
        key_serializer="raw",
        value_serializer="raw",
    )
