"""Typed settings for every hub process (environment variables prefixed ``HUB_``).

One object, :class:`HubSettings`, made of one section per concern. Every component takes
its section from here; nothing else in the code base reads ``os.environ``.
"""

from hub_settings._clients import aiokafka_security_config, kafka_python_config, ssl_context
from hub_settings._settings import (
    ApiSettings,
    HubSettings,
    KafkaSettings,
    LocalKafkaSettings,
    SecuritySettings,
    StreamsSettings,
    SupportSettings,
    load_settings,
)

__all__ = [
    "ApiSettings",
    "HubSettings",
    "KafkaSettings",
    "LocalKafkaSettings",
    "SecuritySettings",
    "StreamsSettings",
    "SupportSettings",
    "aiokafka_security_config",
    "kafka_python_config",
    "load_settings",
    "ssl_context",
]
