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
    client_id: str = "thanhhoa-hub"
    request_timeout_ms: int = 30_000

    @property
    def external(self) -> bool:
        """True when pointed at a cluster the hub did not start itself."""
        return self.bootstrap is not None


class LocalKafkaSettings(BaseSettings):
    """The local single-node broker that ``hub kafka start`` runs (``HUB_LOCAL_KAFKA_*``)."""

    model_config = SettingsConfigDict(env_prefix="HUB_LOCAL_KAFKA_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 9092
    controller_port: int = 9093
    heap_mb: int = Field(default=512, ge=256, le=4096)
    cache_dir: Path = Field(default_factory=lambda: _cache_home() / "kafka-jars")
    home: Path = Field(default_factory=lambda: _cache_home() / "kafka")
    start_timeout_s: float = 90.0

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"


class SecuritySettings(BaseSettings):
    """Signing and verification limits (``HUB_SECURITY_*``)."""

    model_config = SettingsConfigDict(env_prefix="HUB_SECURITY_", extra="ignore")

    keys_dir: Path = Field(default_factory=lambda: _cache_home() / "keys")
    max_clock_skew_s: int = 300
    replay_window_s: int = 24 * 3600
    max_message_bytes: int = 1_000_000
    key_rotation_overlap_s: int = 7 * 24 * 3600


class StreamsSettings(BaseSettings):
    """The Faust stream workers (``HUB_STREAMS_*``)."""

    model_config = SettingsConfigDict(env_prefix="HUB_STREAMS_", extra="ignore")

    app_id: str = "thanhhoa-hub"
    topic_prefix: str = "hub"
    partitions: int = 6
    table_store: str = "memory://"
    data_dir: Path = Field(default_factory=lambda: _cache_home() / "streams")
    web_port: int = 6066


class ApiSettings(BaseSettings):
    """The HTTP API (``HUB_API_*``)."""

    model_config = SettingsConfigDict(env_prefix="HUB_API_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 1_000_000


class HubSettings(BaseSettings):
    """All settings of one hub process."""

    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore")

    environment: Literal["dev", "test", "production"] = "dev"
    log_level: str = "INFO"
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    local_kafka: LocalKafkaSettings = Field(default_factory=LocalKafkaSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    streams: StreamsSettings = Field(default_factory=StreamsSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)

    @property
    def bootstrap(self) -> str:
        """The bootstrap servers every client uses: the external cluster or the local one."""
        return self.kafka.bootstrap or self.local_kafka.bootstrap

    def kafka_client_config(self) -> dict[str, Any]:
        """kafka-python client options (bootstrap, security) for this process."""
        from hub_settings._clients import kafka_python_config

        return kafka_python_config(self.kafka, self.bootstrap)

    def loggable(self) -> dict[str, Any]:
        """The settings as logged at start: secrets masked by pydantic's SecretStr."""
        return self.model_dump(mode="json")


def load_settings(**overrides: Any) -> HubSettings:
    """Read the environment once; ``overrides`` replace whole sections (tests use this)."""
    return HubSettings(**overrides)
