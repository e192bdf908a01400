"""The hub's Prometheus metric catalogue: names, kinds, help texts and label names.

One place that every process (API, stream workers, connectors) takes its metric names
from, so that the Grafana dashboard and the alert rules in ``deploy/grafana/`` match what
is exported. Names carry the ``hub_`` prefix and their unit (``_seconds``, ``_total``);
labels take values from small, fixed sets (event type, reason code, agency id, connector
name), never dossier codes, event ids or free text. No ``prometheus_client`` import here:
this is a leaf; each process builds its own collectors from these specs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "ALL_METRICS",
    "API_DOSSIERS",
    "API_EVENTS",
    "API_REPLAYS",
    "API_REQUESTS",
    "API_REQUEST_SECONDS",
    "API_SSE_CLIENTS",
    "CONNECTOR_BREAKER_OPEN",
    "CONNECTOR_DELIVERIES",
    "CONNECTOR_DELIVERY_SECONDS",
    "CONNECTOR_OUTCOMES",
    "CONSUMER_LAG",
    "DEADLETTER_DEPTH",
    "DOSSIERS",
    "DOSSIERS_OVERDUE",
    "END_TO_END_SECONDS",
    "EVENTS_ACCEPTED",
    "EVENTS_IN",
    "EVENTS_QUARANTINED",
    "LABEL_AGENCY",
    "LABEL_CONNECTOR",
    "LABEL_GROUP",
    "LABEL_KIND",
    "LABEL_OUTCOME",
    "LABEL_PARTITION",
    "LABEL_REASON",
    "LABEL_STAGE",
    "LABEL_STATUS",
    "LABEL_TOPIC",
    "LABEL_TYPE",
    "LATENCY_BUCKETS_SECONDS",
    "QUARANTINE_DEPTH",
    "QUARANTINE_STAGES",
    "REGISTRY_ENTRIES",
    "REGISTRY_KINDS",
    "ROUTE_SECONDS",
    "SCHEMA_REGISTRY_SUBJECTS",
    "VERIFY_SECONDS",
    "MetricKind",
    "MetricSpec",
]

MetricKind = Literal["counter", "gauge", "histogram"]

# --- label names ---------------------------------------------------------------------------
LABEL_TYPE: Final = "type"
"""CloudEvents type, e.g. ``vn.gov.thanhhoa.dossier.submitted`` (from the schema catalogue;
anything unknown is counted as ``unknown``)."""
LABEL_REASON: Final = "reason"
"""Stable quarantine reason code, e.g. ``bad_signature``, ``unknown_schema_id``."""
LABEL_STAGE: Final = "stage"
"""Where a message was rejected: one of ``QUARANTINE_STAGES``."""
LABEL_GROUP: Final = "group"
"""Kafka consumer group id."""
LABEL_TOPIC: Final = "topic"
LABEL_PARTITION: Final = "partition"
LABEL_CONNECTOR: Final = "connector"
"""Connector name from its config file (``name:``)."""
LABEL_OUTCOME: Final = "outcome"
"""Result of one delivery (one of ``CONNECTOR_OUTCOMES``) or, for ``hub_api_events_total``,
of one event received over HTTP (``accepted``, ``duplicate``, ``quarantined``)."""
LABEL_STATUS: Final = "status"
"""Dossier status (trạng thái hồ sơ) from the dossier state machine."""
LABEL_AGENCY: Final = "agency"
"""Agency id (mã định danh cơ quan), e.g. ``000.00.06.H56``."""
LABEL_KIND: Final = "kind"
"""What is counted: a registry entry kind (one of ``REGISTRY_KINDS``) for
``hub_registry_entries``, ``quarantine`` or ``deadletter`` for ``hub_api_replays_total``."""

QUARANTINE_STAGES: Final = ("api", "verify", "route", "track", "support", "notify", "dispatch")
"""The ``hub_reject_stage`` of a quarantine record: ``api`` is the HTTP API refusing an event
before ``hub.ingress``; the others are the stream agents (``verify`` reads ``hub.ingress``,
``track`` and ``route`` the dossier events, ``support``, ``notify`` and ``dispatch`` the
helpdesk commands and notifications)."""
REGISTRY_KINDS: Final = ("agency", "procedure", "subscription", "calendar")
"""The ``kind`` label of ``hub_registry_entries``."""
CONNECTOR_OUTCOMES: Final = ("delivered", "retried", "deadlettered", "skipped")
"""``retried`` counts each failed attempt that will be retried; ``skipped`` counts events the
connector does not handle or has already delivered (deduplicated)."""

LATENCY_BUCKETS_SECONDS: Final = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.15,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
)
"""Histogram buckets for every ``*_seconds`` histogram: fine around the 100 ms p99 target."""


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One metric as exposed on ``/metrics``."""

    name: str
    """Exposition name; counters end in ``_total`` (prometheus_client accepts it as given)."""
    kind: MetricKind
    help: str
    labels: tuple[str, ...] = ()
    exported_by: tuple[str, ...] = ()
    """Processes that export it: ``api``, ``worker``, ``connector`` (a unit test checks that
    each one's metrics class registers exactly the metrics naming it)."""


# --- pipeline ------------------------------------------------------------------------------
EVENTS_IN: Final = MetricSpec(
    "hub_events_in_total",
    "counter",
    "Messages entering the hub, counted once: read from hub.ingress by a worker, or refused"
    " over HTTP by the API before hub.ingress",
    (LABEL_TYPE,),
    ("api", "worker"),
)
EVENTS_ACCEPTED: Final = MetricSpec(
    "hub_events_accepted_total",
    "counter",
    "Events that passed verification and were written to hub.events.<domain>",
    (LABEL_TYPE,),
    ("worker",),
)
EVENTS_QUARANTINED: Final = MetricSpec(
    "hub_events_quarantined_total",
    "counter",
    "Messages written to hub.quarantine, by reason code and stage",
    (LABEL_REASON, LABEL_STAGE),
    ("api", "worker"),
)
VERIFY_SECONDS: Final = MetricSpec(
    "hub_verify_seconds",
    "histogram",
    "Time to verify one ingress message (decode, signature, access rules)",
    (),
    ("worker",),
)
ROUTE_SECONDS: Final = MetricSpec(
    "hub_route_seconds",
    "histogram",
    "Time to route one accepted event to its agency inboxes",
    (),
    ("worker",),
)
END_TO_END_SECONDS: Final = MetricSpec(
    "hub_end_to_end_seconds",
    "histogram",
    "From the event's ce_time to its arrival in the last agency inbox",
    (LABEL_TYPE,),
    ("worker",),
)
CONSUMER_LAG: Final = MetricSpec(
    "hub_consumer_lag",
    "gauge",
    "Messages behind the log end offset, per consumer group and partition",
    (LABEL_GROUP, LABEL_TOPIC, LABEL_PARTITION),
    ("worker", "connector"),
)

# --- delivery ------------------------------------------------------------------------------
CONNECTOR_DELIVERIES: Final = MetricSpec(
    "hub_connector_deliveries_total",
    "counter",
    "Delivery attempts to a legacy system, by outcome",
    (LABEL_CONNECTOR, LABEL_OUTCOME),
    ("connector",),
)
CONNECTOR_DELIVERY_SECONDS: Final = MetricSpec(
    "hub_connector_delivery_seconds",
    "histogram",
    "Duration of one call to the legacy system (SOAP or REST)",
    (LABEL_CONNECTOR,),
    ("connector",),
)
CONNECTOR_BREAKER_OPEN: Final = MetricSpec(
    "hub_connector_breaker_open",
    "gauge",
    "1 while the connector's circuit breaker is open (peer considered down), else 0",
    (LABEL_CONNECTOR,),
    ("connector",),
)
DEADLETTER_DEPTH: Final = MetricSpec(
    "hub_deadletter_depth",
    "gauge",
    "Records retained in hub.deadletter (end minus earliest offset; replayed ones count"
    " until retention deletes them)",
    (),
    ("worker",),
)
QUARANTINE_DEPTH: Final = MetricSpec(
    "hub_quarantine_depth",
    "gauge",
    "Records retained in hub.quarantine (end minus earliest offset; replayed ones count"
    " until retention deletes them)",
    (),
    ("worker",),
)

# --- dossiers and registries ---------------------------------------------------------------
DOSSIERS: Final = MetricSpec(
    "hub_dossiers",
    "gauge",
    "Dossiers (hồ sơ) by status and responsible agency",
    (LABEL_STATUS, LABEL_AGENCY),
    ("worker",),
)
DOSSIERS_OVERDUE: Final = MetricSpec(
    "hub_dossiers_overdue",
    "gauge",
    "Open dossiers past their due date (hồ sơ quá hạn), by responsible agency",
    (LABEL_AGENCY,),
    ("worker",),
)
SCHEMA_REGISTRY_SUBJECTS: Final = MetricSpec(
    "hub_schema_registry_subjects",
    "gauge",
    "Subjects in the schema registry (_schemas)",
    (),
    ("api", "worker"),
)
REGISTRY_ENTRIES: Final = MetricSpec(
    "hub_registry_entries",
    "gauge",
    "Entries in the procedure registry (hub.registry), by kind",
    (LABEL_KIND,),
    ("api", "worker"),
)

# --- HTTP API ------------------------------------------------------------------------------
API_REQUESTS: Final = MetricSpec(
    "hub_api_requests_total",
    "counter",
    "HTTP requests by route template, method and status",
    ("method", "route", "status"),
    ("api",),
)
API_REQUEST_SECONDS: Final = MetricSpec(
    "hub_api_request_seconds",
    "histogram",
    "HTTP request duration by route template",
    ("route",),
    ("api",),
)
API_EVENTS: Final = MetricSpec(
    "hub_api_events_total",
    "counter",
    "Events received over HTTP by outcome (accepted, duplicate, quarantined)",
    (LABEL_OUTCOME,),
    ("api",),
)
API_REPLAYS: Final = MetricSpec(
    "hub_api_replays_total",
    "counter",
    "Quarantine and dead-letter records replayed through the API, by kind",
    (LABEL_KIND,),
    ("api",),
)
API_DOSSIERS: Final = MetricSpec(
    "hub_api_dossiers",
    "gauge",
    "Dossiers in the API's live view of hub.dossier-state",
    (),
    ("api",),
)
API_SSE_CLIENTS: Final = MetricSpec(
    "hub_api_sse_clients",
    "gauge",
    "Open live-status (SSE) streams",
    (),
    ("api",),
)

ALL_METRICS: Final = (
    EVENTS_IN,
    EVENTS_ACCEPTED,
    EVENTS_QUARANTINED,
    VERIFY_SECONDS,
    ROUTE_SECONDS,
    END_TO_END_SECONDS,
    CONSUMER_LAG,
    CONNECTOR_DELIVERIES,
    CONNECTOR_DELIVERY_SECONDS,
    CONNECTOR_BREAKER_OPEN,
    DEADLETTER_DEPTH,
    QUARANTINE_DEPTH,
    DOSSIERS,
    DOSSIERS_OVERDUE,
    SCHEMA_REGISTRY_SUBJECTS,
    REGISTRY_ENTRIES,
    API_REQUESTS,
    API_REQUEST_SECONDS,
    API_EVENTS,
    API_REPLAYS,
    API_DOSSIERS,
    API_SSE_CLIENTS,
)
"""Every metric of the catalogue, in the order of ``docs/operations.md``."""
