"""Settings sections. Each section reads its own ``HUB_<SECTION>_`` variables."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _cache_home() -> Path:
    return Path.home() / ".cache" / "thanhhoa-hub"


class KafkaSettings(BaseSettings):
    """How every client reaches Kafka (``HUB_KAFKA_*``).

    ``bootstrap`` set (``HUB_KAFKA_BOOTSTRAP``) means: an existing cluster, start nothing.
    """

    model_config = SettingsConfigDict(env_prefix="HUB_KAFKA_", extra="ignore")

    bootstrap: str | None = None
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    ssl_check_hostname: bool = True
    client_id: str = "thanhhoa-hub"
    request_timeout_ms: int = 30_000

    @property
    def external(self) -> bool:
        """True when pointed at a cluster the hub did not start itself."""
        return self.bootstrap is not None


class LocalKafkaSettings(BaseSettings):
    """The local single-node broker that ``hub kafka start`` runs (``HUB_LOCAL_KAFKA_*``).

    ``port`` is the PLAINTEXT listener (development only, anonymous super user);
    ``secure_port`` is SASL_SSL with SCRAM-SHA-512 and ACLs, TLS from a dev CA in ``home``.
    """

    model_config = SettingsConfigDict(env_prefix="HUB_LOCAL_KAFKA_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 9092
    controller_port: int = 9093
    secure_port: int = 9094
    admin_username: str = "admin"
    admin_password: SecretStr = SecretStr("hub-dev-admin-secret")
    heap_mb: int = Field(default=512, ge=256, le=4096)
    cache_dir: Path = Field(default_factory=lambda: _cache_home() / "kafka-jars")
    home: Path = Field(default_factory=lambda: _cache_home() / "kafka")
    start_timeout_s: float = 90.0

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def secure_bootstrap(self) -> str:
        return f"{self.host}:{self.secure_port}"

    @property
    def tls_dir(self) -> Path:
        return self.home / "tls"

    @property
    def ca_file(self) -> Path:
        """The dev CA certificate that clients of the secure listener trust."""
        return self.tls_dir / "ca.pem"

    def secure_client(
        self, username: str | None = None, password: str | None = None
    ) -> KafkaSettings:
        """Client settings for the secure listener as ``username`` (default: the admin)."""
        if username is None:
            username, secret = self.admin_username, self.admin_password
        else:
            secret = SecretStr(password or "")
        return KafkaSettings(
            bootstrap=self.secure_bootstrap,
            security_protocol="SASL_SSL",
            sasl_mechanism="SCRAM-SHA-512",
            sasl_username=username,
            sasl_password=secret,
            ssl_cafile=self.ca_file,
            ssl_certfile=None,
            ssl_keyfile=None,
        )


class SecuritySettings(BaseSettings):
    """Signing and verification limits (``HUB_SECURITY_*``)."""

    model_config = SettingsConfigDict(env_prefix="HUB_SECURITY_", extra="ignore")

    keys_dir: Path = Field(default_factory=lambda: _cache_home() / "keys")
    key_passphrase: SecretStr | None = None
    """Passphrase for new private key files (else ``hub keys`` asks for one)."""
    max_clock_skew_s: int = 300
    replay_window_s: int = 24 * 3600
    max_message_bytes: int = 1_000_000
    key_rotation_overlap_s: int = 7 * 24 * 3600


class StreamsSettings(BaseSettings):
    """The Faust stream workers (``HUB_STREAMS_*``)."""

    model_config = SettingsConfigDict(env_prefix="HUB_STREAMS_", extra="ignore")

    app_id: str = "thanhhoa-hub"
    partitions: int = 6
    replication_factor: int = 1
    table_store: str = "memory://"
    rocksdb_write_buffer_mb: int = Field(default=4, ge=1)
    """With the RocksDB store: each table partition's memtable (two of them at most).
    Faust's defaults (3 x 64 MB and a 2 GB block cache per table partition) let a worker
    with 7 tables x its partitions grow by gigabytes before RocksDB flushes."""
    rocksdb_block_cache_mb: int = Field(default=8, ge=1)
    """With the RocksDB store: each table partition's block cache."""
    data_dir: Path = Field(default_factory=lambda: _cache_home() / "streams")
    web_port: int = 6066
    web_enabled: bool = True
    audit_checkpoint_every: int = 1000
    audit_checkpoint_interval_s: float = 60.0
    audit_gap_check_s: float = Field(default=5.0, gt=0)
    """How often the chain's owner looks for entries at the end of ``hub.audit.entries``
    that the stream did not deliver; those are read back after two checks."""
    fetch_max_wait_ms: int = Field(default=100, ge=1, le=1500)
    """How long the broker may hold a worker's fetch when none of the requested partitions
    has data. Faust fixes it at 1500 ms; with one fetch in flight per broker, records that
    arrive for a partition left out of that fetch wait for it (docs/benchmarks.md)."""
    overdue_scan_interval_s: float = 30.0
    session_timeout_s: float = Field(default=30.0, ge=6.0)
    """How long a silent worker keeps its partitions before the group gives them to the
    others (Faust's own default is 60 s: a killed worker's dossiers would wait a minute)."""
    heartbeat_interval_s: float = Field(default=3.0, gt=0)
    metrics_host: str = "127.0.0.1"
    """Address of the worker's Prometheus ``/metrics`` server (``0.0.0.0`` in a pod)."""
    metrics_port: int = Field(default=9101, ge=0, le=65535)
    """Port of the worker's ``/metrics``; 0 turns the metrics server off."""
    metrics_interval_s: float = Field(default=5.0, gt=0)
    """How often the worker samples consumer lag, quarantine/dead-letter depth and the
    registry sizes for ``/metrics``."""


class SupportSettings(BaseSettings):
    """Citizen support requests and notifications (``HUB_SUPPORT_*``)."""

    model_config = SettingsConfigDict(env_prefix="HUB_SUPPORT_", extra="ignore")

    helpdesk_agency: str = "000.00.14.H56"
    """Who answers requests about no (or an unknown) dossier or procedure."""
    response_working_days: float = Field(default=5.0, gt=0)
    """Response deadline of a support request, in working days from its assignment."""
    max_question_chars: int = Field(default=2000, ge=1)
    reminder_lead_working_days: float = Field(default=1.0, ge=0)
    """Remind the applicant this many working days before a supplement or payment is due."""
    submit_rate_per_s: float = Field(default=0.2, gt=0)
    """Support requests per second one client address may sustain."""
    submit_burst: int = Field(default=5, ge=1)


class ApiSettings(BaseSettings):
    """The HTTP API (``HUB_API_*``)."""

    model_config = SettingsConfigDict(env_prefix="HUB_API_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 1_000_000
    credentials_file: Path | None = None
    """YAML/JSON file of API credentials (hashed keys, roles); none means nobody may call."""
    lookup_secret: SecretStr | None = None
    """HMAC secret of citizens' dossier lookup tokens; a random per-process one if unset."""
    rate_per_s: float = Field(default=20.0, gt=0)
    """Requests per second each credential (or anonymous client address) may sustain."""
    rate_burst: int = Field(default=60, ge=1)
    """Requests a credential may make at once before the rate applies."""
    recent_event_ids: int = Field(default=100_000, ge=1)
    """How many accepted event ids the ingress remembers to answer re-sends idempotently."""
    max_batch_events: int = Field(default=500, ge=1)
    page_size_max: int = Field(default=500, ge=1)


class HubSettings(BaseSettings):
    """All settings of one hub process."""

    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore")

    environment: Literal["dev", "test", "production"] = "dev"
    log_level: str = "INFO"
    topic_prefix: str = "hub"
    """Prefix of every hub topic (``hub.ingress``...); tests give each pipeline its own."""
    schemas_topic: str = "_schemas"
    agency_id: str = "000.00.00.H56"
    """The hub's own identity when it signs events and audit checkpoints (``HUB_AGENCY_ID``)."""
    signing_key_file: Path | None = None
    """The hub's encrypted Ed25519 private key (PKCS#8 PEM, ``HUB_SIGNING_KEY_FILE``)."""
    signing_key_passphrase: SecretStr | None = None
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    local_kafka: LocalKafkaSettings = Field(default_factory=LocalKafkaSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    streams: StreamsSettings = Field(default_factory=StreamsSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    support: SupportSettings = Field(default_factory=SupportSettings)

    @property
    def bootstrap(self) -> str:
        """The bootstrap servers every client uses: the external cluster or the local one."""
        return self.kafka.bootstrap or self.local_kafka.bootstrap

    def kafka_client_config(self) -> dict[str, Any]:
        """kafka-python client options (bootstrap, security) for this process."""
        from hub_settings._clients import kafka_python_config

        return kafka_python_config(self.kafka, self.bootstrap)

    def aiokafka_client_config(self) -> dict[str, Any]:
        """aiokafka client options (bootstrap, security, ``ssl_context``) for this process."""
        from hub_settings._clients import aiokafka_security_config

        return {
            "bootstrap_servers": self.bootstrap,
            "client_id": self.kafka.client_id,
            **aiokafka_security_config(self.kafka),
        }

    def loggable(self) -> dict[str, Any]:
        """The settings as logged at start: secrets masked by pydantic's SecretStr."""
        return self.model_dump(mode="json")


def load_settings(**overrides: Any) -> HubSettings:
    """Read the environment once; ``overrides`` replace whole sections (tests use this)."""
    return HubSettings(**overrides)
