"""An isolated hub on the shared broker for benchmarks: topics, schemas, catalog, keys, workers.

The same set-up as the integration tests' pipeline (unique topic prefix, schemas
registered, the Thanh Hóa catalog applied, agency keys, real ``hub worker`` child
processes), without pytest, plus what only benchmarks need: events of a chosen size,
signed one by one or in Merkle batches, and psutil sampling of every process involved.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hub_api.schemas_cli import register_all
from hub_api.topic_cleanup import delete_topics_with_prefix
from hub_settings import HubSettings
from registry.catalog_loader import load_catalog
from registry.keys import generate_agency_key
from registry.publishing import signed_batch, signed_message
from registry.schema_store import SchemaStore
from registry.store import RegistryStore
from schemas import CloudEvent, EventCodec, KafkaMessage
from schemas.examples import example_data
from schemas.topics import TopicNames
from security import Signer, load_signer

REPO = Path(__file__).resolve().parents[1]
PASSPHRASE = b"bench-passphrase-not-secret"
HUB = "000.00.00.H56"
PUBLISHER = "000.17.22.H56"  # Phường Hạc Thành: receives the dossiers and publishes them
HANDLER = "000.00.06.H56"  # Sở Tư pháp: handles procedure 2.000488, its inbox is measured
PROCEDURE = "2.000488"  # Phiếu lý lịch tư pháp: 10 working days, so nothing runs overdue
SUBMITTED = "vn.gov.thanhhoa.dossier.submitted"


def settings_env(settings: HubSettings) -> dict[str, str]:
    """The environment that gives a child process the same settings."""
    env = {
        "HUB_KAFKA_BOOTSTRAP": settings.bootstrap,
        "HUB_TOPIC_PREFIX": settings.topic_prefix,
        "HUB_SCHEMAS_TOPIC": settings.schemas_topic,
        "HUB_AGENCY_ID": settings.agency_id,
        "HUB_STREAMS_APP_ID": settings.streams.app_id,
        "HUB_STREAMS_PARTITIONS": str(settings.streams.partitions),
        "HUB_STREAMS_DATA_DIR": str(settings.streams.data_dir),
        "HUB_STREAMS_WEB_ENABLED": "false",
        "HUB_SECURITY_MAX_MESSAGE_BYTES": str(settings.security.max_message_bytes),
    }
    if settings.signing_key_file is not None:
        env["HUB_SIGNING_KEY_FILE"] = str(settings.signing_key_file)
        env["HUB_SIGNING_KEY_PASSPHRASE"] = PASSPHRASE.decode()
    return env


class Child:
    """A child process (its own session) whose output goes to a log file we can wait on."""

    def __init__(self, name: str, argv: Sequence[str], env: Mapping[str, str], log_dir: Path):
        self.name = name
        self.argv = list(argv)
        self.env = {**os.environ, **env}
        self.log_file = log_dir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None, f"{self.name} not started"
        return self.proc.pid

    def start(self) -> Child:
        with self.log_file.open("ab") as log:
            self.proc = subprocess.Popen(  # noqa: S603  # our own interpreter and module
                self.argv,
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        return self

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_for(self, text: str, timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if text in self.log_file.read_text(errors="replace"):
                return
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited before {text!r}:\n{self.tail()}")
            time.sleep(0.2)
        raise RuntimeError(f"{self.name}: no {text!r} within {timeout_s}s:\n{self.tail()}")

    def stop(self, timeout_s: float = 20.0) -> None:
        """SIGTERM the child's process group, wait, then SIGKILL."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)


@dataclass
class BenchHub:
    """A running isolated hub: settings, topic names, codec, signers and worker processes."""

    settings: HubSettings
    names: TopicNames
    codec: EventCodec
    signers: dict[str, Signer]
    workdir: Path
    resolver: SchemaStore
    workers: list[Child] = field(default_factory=list)
    worker_module: str = "hub_api.cli"

    @property
    def inbox(self) -> str:
        """The measured inbox: the handling agency of every benchmark dossier."""
        return self.names.inbox(HANDLER)

    def start_worker(self, *prefix_argv: str) -> Child:
        """Start one more ``hub worker`` (optionally under a profiler) and wait until ready."""
        name = f"worker{len(self.workers) + 1}"
        args = ("-m", self.worker_module, "worker", "--without-web")
        argv = [*(prefix_argv or (sys.executable,)), *args]
        worker = Child(name, argv, settings_env(self.settings), self.workdir).start()
        self.workers.append(worker)
        worker.wait_for("Worker ready", timeout_s=120)
        return worker

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.resolver.stop()
        delete_topics_with_prefix(
            self.settings.kafka_client_config(),
            [f"{self.settings.topic_prefix}.", self.settings.streams.app_id],
        )


def build_hub(base: HubSettings, workdir: Path, *, partitions: int = 3) -> BenchHub:
    """Set up an isolated hub on the shared broker (no worker started yet)."""
    run = uuid.uuid4().hex[:8]
    prefix = f"b{run}.hub"
    workdir.mkdir(parents=True, exist_ok=True)
    streams = base.streams.model_copy(
        update={
            "app_id": f"hub-bench-{run}",
            "partitions": partitions,
            "data_dir": workdir / "streams",
            "web_enabled": False,
        }
    )
    settings = base.model_copy(
        update={"topic_prefix": prefix, "schemas_topic": f"{prefix}._schemas", "streams": streams}
    )
    with SchemaStore(settings, topic=settings.schemas_topic) as store:
        register_all(settings, store=store)
    signers: dict[str, Signer] = {}
    with RegistryStore(settings) as registry:
        registry.apply(load_catalog())
        now = datetime.now(UTC)
        for agency in (HUB, PUBLISHER):
            path, key = generate_agency_key(registry, agency, workdir / "keys", PASSPHRASE, now=now)
            signers[agency] = load_signer(path, PASSPHRASE, agency, key.key_id)
            if agency == HUB:
                settings = settings.model_copy(update={"signing_key_file": path})
    create_topics(settings, [TopicNames(prefix).inbox(HANDLER)], partitions)
    resolver = SchemaStore(settings, topic=settings.schemas_topic)
    resolver.start()
    return BenchHub(settings, TopicNames(prefix), EventCodec(resolver), signers, workdir, resolver)


class DossierFactory:
    """DossierSubmitted events with unique ``<agency>-YYMMDD-NNNN`` codes, padded to a size."""

    def __init__(self, agency: str = PUBLISHER) -> None:
        self.agency = agency
        self._numbers = itertools.count()
        self._day = date(2026, 1, 1) + timedelta(days=random.randrange(200))

    def code(self) -> str:
        number = next(self._numbers)
        day = self._day + timedelta(days=number // 9000)
        return f"{self.agency}-{day:%y%m%d}-{number % 9000 + 1000:04d}"

    def event(self, padding: int = 0) -> CloudEvent:
        code = self.code()
        now = datetime.now(UTC)
        data = {
            **example_data("DossierSubmitted"),
            "dossier_code": code,
            "procedure_code": PROCEDURE,
            "receiving_agency_id": self.agency,
            "submitted_at": now,
            "note": "x" * padding if padding else None,
        }
        stamp = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return CloudEvent(type=SUBMITTED, source=self.agency, subject=code, data=data, time=stamp)


def padding_for(codec: EventCodec, signer: Signer, size: int) -> int:
    """How many note characters make a signed DossierSubmitted ``size`` bytes on the wire."""
    probe = signed_message(codec, signer, DossierFactory().event())
    wire = len(probe.value) + sum(len(n) + len(v) for n, v in probe.headers)
    return max(0, size - wire)


def signed(
    codec: EventCodec, signer: Signer, events: Sequence[CloudEvent], batch: int
) -> list[KafkaMessage]:
    """Sign ``events`` one by one (``batch`` <= 1) or in Merkle batches of ``batch``."""
    if batch <= 1:
        return [signed_message(codec, signer, e) for e in events]
    out: list[KafkaMessage] = []
    for start in range(0, len(events), batch):
        out.extend(signed_batch(codec, signer, events[start : start + batch]))
    return out


def create_topics(settings: HubSettings, topics: Iterable[str], partitions: int) -> None:
    """Create ``topics`` (idempotent) so that consumers can be assigned before traffic."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    admin = KafkaAdminClient(**settings.kafka_client_config())
    try:
        existing = set(admin.list_topics())
        new = [NewTopic(t, partitions, 1) for t in topics if t not in existing]
        if new:
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(new, wait_for_metadata=True)
    finally:
        admin.close()


def wire_size(message: KafkaMessage) -> int:
    return len(message.value) + sum(len(n) + len(v) for n, v in message.headers)
