"""The dev CA and broker certificate of the local broker's SASL_SSL listener."""

from __future__ import annotations

import ipaddress
import ssl
import stat
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from hub_api._broker_tls import ensure_broker_tls


def _broker_cert(keystore: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificates(keystore.read_bytes())[0]


def test_creates_ca_and_broker_certificate_once(tmp_path: Path) -> None:
    files, done = ensure_broker_tls(tmp_path / "tls", "127.0.0.1")
    assert len(done) == 2
    ca = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    cert = _broker_cert(files.keystore)
    ca_key = ca.public_key()
    assert isinstance(ca_key, ec.EllipticCurvePublicKey)
    cert.verify_directly_issued_by(ca)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in san.get_values_for_type(x509.IPAddress)
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    for private in (files.ca_key, files.keystore):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert b"BEGIN PRIVATE KEY" in files.keystore.read_bytes()  # PKCS#8, as Kafka's PEM wants

    again, done_again = ensure_broker_tls(tmp_path / "tls", "127.0.0.1")
    assert done_again == []
    assert _broker_cert(again.keystore) == cert


def test_new_host_reissues_the_broker_certificate_under_the_same_ca(tmp_path: Path) -> None:
    files, _ = ensure_broker_tls(tmp_path, "127.0.0.1")
    ca_before = files.ca_cert.read_bytes()
    _, done = ensure_broker_tls(tmp_path, "kafka.dev.local")
    assert done == [f"issued the broker certificate for kafka.dev.local in {files.keystore}"]
    assert files.ca_cert.read_bytes() == ca_before
    san = _broker_cert(files.keystore).extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert "kafka.dev.local" in san.value.get_values_for_type(x509.DNSName)


def test_python_clients_trust_the_ca(tmp_path: Path) -> None:
    files, _ = ensure_broker_tls(tmp_path, "127.0.0.1")
    context = ssl.create_default_context(cafile=str(files.ca_cert))
    assert context.get_ca_certs()[0]["subject"][-1][0][1] == "Thanh Hoa Hub dev CA"
