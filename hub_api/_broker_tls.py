"""A development certificate authority and broker certificate for the local broker's TLS.

Generated once with ``cryptography`` into ``<broker home>/tls`` as PEM files: the CA
certificate (clients trust it through ``HUB_KAFKA_SSL_CAFILE``), and the broker's PKCS#8
key and certificate chain (Kafka reads them with ``ssl.keystore.type=PEM``). The broker
certificate is re-issued when it nears expiry or no longer names the listener host.
For development and tests only: a production cluster has its own PKI.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_CA_DAYS = 3650
_BROKER_DAYS = 825
_RENEW_BEFORE = dt.timedelta(days=30)
_ORG = "Thanh Hoa Integration Hub (dev)"


@dataclass(frozen=True)
class BrokerTlsFiles:
    """Where the PEM files live."""

    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca-key.pem"

    @property
    def keystore(self) -> Path:
        """The broker's private key followed by its certificate chain (Kafka PEM keystore)."""
        return self.directory / "broker-keystore.pem"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _ORG),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _new_ca(files: BrokerTlsFiles) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name("Thanh Hoa Hub dev CA")
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=_CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(files.ca_key, _key_pem(key))
    files.ca_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _load_ca(files: BrokerTlsFiles) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    try:
        cert = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
        key = serialization.load_pem_private_key(files.ca_key.read_bytes(), password=None)
    except (OSError, ValueError):
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or cert.not_valid_after_utc < _now():
        return None
    return cert, key


def _alt_names(host: str) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    addresses = {ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")}
    try:
        addresses.add(ipaddress.ip_address(host))
    except ValueError:
        names.append(x509.DNSName(host))
    names.extend(x509.IPAddress(address) for address in sorted(addresses, key=str))
    return names


def _broker_cert_current(files: BrokerTlsFiles, ca: x509.Certificate, host: str) -> bool:
    try:
        cert = x509.load_pem_x509_certificates(files.keystore.read_bytes())[0]
    except (OSError, ValueError, IndexError):
        return False
    if cert.issuer != ca.subject or cert.not_valid_after_utc - _RENEW_BEFORE < _now():
        return False
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return set(_alt_names(host)) <= set(san)


def _issue_broker_cert(
    files: BrokerTlsFiles, ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, host: str
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(host))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=_BROKER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(_alt_names(host)), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    chain = cert.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(
        serialization.Encoding.PEM
    )
    _write_private(files.keystore, _key_pem(key) + chain)


def ensure_broker_tls(directory: Path, host: str) -> tuple[BrokerTlsFiles, list[str]]:
    """Create the CA and broker certificate if missing or stale; returns what was done."""
    files = BrokerTlsFiles(directory)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    done: list[str] = []
    loaded = _load_ca(files)
    if loaded is None:
        loaded = _new_ca(files)
        done.append(f"created a development CA in {files.ca_cert}")
    ca, ca_key = loaded
    if not _broker_cert_current(files, ca, host):
        _issue_broker_cert(files, ca, ca_key, host)
        done.append(f"issued the broker certificate for {host} in {files.keystore}")
    return files, done
