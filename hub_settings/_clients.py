"""Kafka client options derived from :class:`KafkaSettings`, in one place for every client."""

from __future__ import annotations

from typing import Any

from hub_settings._settings import KafkaSettings


def kafka_python_config(kafka: KafkaSettings, bootstrap: str) -> dict[str, Any]:
    """Keyword arguments for kafka-python's producer, consumer and admin clients."""
    config: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "client_id": kafka.client_id,
        "request_timeout_ms": kafka.request_timeout_ms,
        "security_protocol": kafka.security_protocol,
    }
    if kafka.sasl_mechanism is not None:
        config["sasl_mechanism"] = kafka.sasl_mechanism
        config["sasl_plain_username"] = kafka.sasl_username
        config["sasl_plain_password"] = (
            kafka.sasl_password.get_secret_value() if kafka.sasl_password else None
        )
    for option in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
        value = getattr(kafka, option)
        if value is not None:
            config[option] = str(value)
    return config
