"""Faust broker credentials from the Kafka settings."""

from __future__ import annotations

import faust
from pydantic import SecretStr

from hub_settings import KafkaSettings
from streams.credentials import faust_broker_credentials


def test_plaintext_means_no_credentials() -> None:
    assert faust_broker_credentials(KafkaSettings(security_protocol="PLAINTEXT")) is None


def test_sasl_ssl_gives_scram_credentials_with_tls() -> None:
    kafka = KafkaSettings(
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="hub-worker",
        sasl_password=SecretStr("pw"),
    )
    credentials = faust_broker_credentials(kafka)
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.protocol.value == "SASL_SSL"
    assert credentials.mechanism.value == "SCRAM-SHA-512"
    assert (credentials.username, credentials.password) == ("hub-worker", "pw")
    assert credentials.ssl_context is not None


def test_ssl_only_gives_ssl_credentials() -> None:
    credentials = faust_broker_credentials(KafkaSettings(security_protocol="SSL"))
    assert isinstance(credentials, faust.SSLCredentials)
