"""Kafka client options derived from :class:`KafkaSettings`, in one place for every client."""

from __future__ import annotations

import ssl
from typing import Any

from hub_settings._settings import KafkaSettings

_TLS_PROTOCOLS = frozenset({"SSL", "SASL_SSL"})
_SASL_PROTOCOLS = frozenset({"SASL_PLAINTEXT", "SASL_SSL"})


def _password(kafka: KafkaSettings) -> str | None:
    return kafka.sasl_password.get_secret_value() if kafka.sasl_password else None


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
        config["sasl_plain_password"] = _password(kafka)
    for option in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
        value = getattr(kafka, option)
        if value is not None:
            config[option] = str(value)
    if kafka.security_protocol in _TLS_PROTOCOLS:
        config["ssl_check_hostname"] = kafka.ssl_check_hostname
    return config


def ssl_context(kafka: KafkaSettings) -> ssl.SSLContext | None:
    """The TLS context for aiokafka/Faust: trusts ``ssl_cafile`` (or the system CAs).

    ``None`` when the protocol does not use TLS. A client certificate (``ssl_certfile`` and
    ``ssl_keyfile``) is loaded when set, for clusters that use mutual TLS.
    """
    if kafka.security_protocol not in _TLS_PROTOCOLS:
        return None
    cafile = str(kafka.ssl_cafile) if kafka.ssl_cafile is not None else None
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    context.check_hostname = kafka.ssl_check_hostname
    if not kafka.ssl_check_hostname:
        context.verify_mode = ssl.CERT_REQUIRED  # still verify the chain
    if kafka.ssl_certfile is not None:
        keyfile = str(kafka.ssl_keyfile) if kafka.ssl_keyfile is not None else None
        context.load_cert_chain(str(kafka.ssl_certfile), keyfile)
    return context


def aiokafka_security_config(kafka: KafkaSettings) -> dict[str, Any]:
    """Security keyword arguments for aiokafka's producer, consumer and admin clients."""
    config: dict[str, Any] = {"security_protocol": kafka.security_protocol}
    context = ssl_context(kafka)
    if context is not None:
        config["ssl_context"] = context
    if kafka.security_protocol in _SASL_PROTOCOLS:
        config["sasl_mechanism"] = kafka.sasl_mechanism or "PLAIN"
        config["sasl_plain_username"] = kafka.sasl_username
        config["sasl_plain_password"] = _password(kafka)
    return config
