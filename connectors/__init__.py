"""Connectors: SOAP/REST adapters that speak to legacy systems for an agency.

Outbound (``runtime``): inbox -> mapping -> delivery -> reply event; inbound (``inbound``):
webhook or poller -> signed events on ingress. Configured by YAML (``config``), run with
``hub connector run FILE``. Fake legacy peers for tests live in ``connectors.peers``.
"""

from connectors.config import ConnectorConfig, load_config, parse_config
from connectors.errors import (
    ConfigError,
    ConfigIssue,
    ConnectorError,
    DeliveryError,
    MappingError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from connectors.mapping import FieldMapping, compile_mapping

__all__ = [
    "ConfigError",
    "ConfigIssue",
    "ConnectorConfig",
    "ConnectorError",
    "DeliveryError",
    "FieldMapping",
    "MappingError",
    "PermanentDeliveryError",
    "TransientDeliveryError",
    "compile_mapping",
    "load_config",
    "parse_config",
]
