"""Client security options from the settings: kafka-python, aiokafka and the local broker."""

from __future__ import annotations

import ssl
from pathlib import Path

from pydantic import SecretStr

from hub_api._broker_tls import ensure_broker_tls
from hub_settings import (
    KafkaSettings,
    LocalKafkaSettings,
    aiokafka_security_config,
    kafka_python_config,
    ssl_context,
)


def test_plaintext_has_no_tls_or_sasl() -> None:
    kafka = KafkaSettings(security_protocol="PLAINTEXT")
    assert ssl_context(kafka) is None
    assert aiokafka_security_config(kafka) == {"security_protocol": "PLAINTEXT"}
    assert "ssl_check_hostname" not in kafka_python_config(kafka, "h:1")


def test_local_secure_client_settings(tmp_path: Path) -> None:
    local = LocalKafkaSettings(home=tmp_path, secure_port=39094)
    ensure_broker_tls(local.tls_dir, local.host)
    agency = local.secure_client("000.00.06.H56", "pw")
    assert agency.bootstrap == "127.0.0.1:39094"
    config = kafka_python_config(agency, agency.bootstrap or "")
    assert config["security_protocol"] == "SASL_SSL"
    assert config["sasl_mechanism"] == "SCRAM-SHA-512"
    assert config["sasl_plain_username"] == "000.00.06.H56"
    assert config["sasl_plain_password"] == "pw"
    assert config["ssl_cafile"] == str(tmp_path / "tls" / "ca.pem")
    assert config["ssl_check_hostname"] is True

    aio = aiokafka_security_config(agency)
    assert aio["sasl_mechanism"] == "SCRAM-SHA-512"
    context = aio["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.check_hostname
    assert context.verify_mode == ssl.CERT_REQUIRED
    admin = local.secure_client()
    assert admin.sasl_username == "admin"


def test_secrets_stay_masked_when_logged() -> None:
    kafka = KafkaSettings(sasl_password=SecretStr("top-secret"))
    local = LocalKafkaSettings(admin_password=SecretStr("also-secret"))
    assert "top-secret" not in str(kafka.model_dump(mode="json"))
    assert "also-secret" not in str(local.model_dump(mode="json"))
