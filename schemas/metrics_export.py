"""Serving Prometheus metrics from a worker or connector process (prometheus-client).

Shared by ``streams.metrics`` and ``connectors.metrics``; the names and labels themselves
are in :mod:`schemas.metric_names`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, start_http_server

__all__ = ["replace_lag", "serve"]

log = logging.getLogger(__name__)

Lag = Mapping[tuple[str, int], int]
"""(topic, partition) -> records not yet consumed."""


def serve(registry: CollectorRegistry, host: str, port: int, what: str) -> Any | None:
    """Serve ``/metrics`` on ``host:port`` (None when the port is 0 or taken: a worker or
    connector without metrics still does its job, so a bind error is only logged)."""
    if port == 0:
        log.info("%s metrics server off (port 0)", what)
        return None
    try:
        server, _ = start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        log.error("%s metrics server cannot listen on %s:%d: %s", what, host, port, exc)
        return None
    log.info("%s metrics on http://%s:%d/metrics", what, host, port)
    return server


def replace_lag(
    gauge: Gauge, shown: set[tuple[str, str, str]], group: str, lag: Lag
) -> set[tuple[str, str, str]]:
    """Set ``group``'s lag series to ``lag`` (partitions no longer owned disappear); returns
    the label sets now shown, to pass back next time."""
    labels = {(group, topic, str(part)): value for (topic, part), value in lag.items()}
    for gone in shown - labels.keys():
        gauge.remove(*gone)
    for key, value in labels.items():
        gauge.labels(*key).set(value)
    return set(labels)
