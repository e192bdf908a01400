"""Faust broker credentials from the hub's Kafka settings (``HUB_KAFKA_*``)."""

from __future__ import annotations

import faust

from hub_settings import KafkaSettings, ssl_context


def faust_broker_credentials(
    kafka: KafkaSettings,
) -> faust.SASLCredentials | faust.SSLCredentials | None:
    """``broker_credentials`` for ``faust.App``: SASL (over TLS for SASL_SSL), TLS, or None.

    None means PLAINTEXT (the local development listener only).
    """
    context = ssl_context(kafka)
    if kafka.security_protocol in ("SASL_PLAINTEXT", "SASL_SSL"):
        password = kafka.sasl_password.get_secret_value() if kafka.sasl_password else None
        return faust.SASLCredentials(
            username=kafka.sasl_username,
            password=password,
            ssl_context=context,
            mechanism=kafka.sasl_mechanism or "PLAIN",
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None
