"""Soak: a real hub pipeline under steady traffic for N minutes; memory and lag over time.

``python -m bench.soak --minutes 30 --rate 100`` sets up an isolated hub on the broker
(started if none runs; ``HUB_KAFKA_BOOTSTRAP`` for an existing one): a unique topic prefix,
the schemas, the catalog, agency keys and one ``hub worker`` child process. It then
publishes whole dossier lifecycles (six signed events each) at ``--rate`` events/s and
every ``--every`` seconds prints the worker's RSS and the consumer lag of its group on
ingress and on the dossier events. At the end, after a drain, it prints the RSS growth
and the largest and final lags; ``--json FILE`` keeps every sample.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition

from hub_api.localkafka import LocalKafka
from hub_api.schemas_cli import register_all
from hub_api.topic_cleanup import delete_topics_with_prefix
from hub_settings import HubSettings, KafkaSettings, load_settings
from registry.catalog_loader import load_catalog
from registry.keys import generate_agency_key
from registry.publishing import signed_message
from registry.schema_store import SchemaStore
from registry.store import RegistryStore
from schemas import CloudEvent, EventCodec, KafkaMessage
from schemas import load_catalog as load_event_catalog
from schemas.examples import example_data
from schemas.topics import TopicNames
from security import Signer, load_signer

PASSPHRASE = b"soak-passphrase-not-secret"
HUB = "000.00.00.H56"
ONE_STOP = "000.00.14.H56"  # Trung tâm Phục vụ hành chính công: receives the dossiers
JUSTICE = "000.00.06.H56"  # Sở Tư pháp: handles procedure 2.000488
PROCEDURE = "2.000488"  # 10 working days: nothing runs overdue during a soak
REPO = Path(__file__).resolve().parents[1]


@dataclass
class Sample:
    """One point of the time series."""

    t_s: float
    sent: int
    worker_rss_mb: float
    ingress_lag: int
    events_lag: int


def _lifecycle(code: str, record_time: datetime) -> list[CloudEvent]:
    """Submitted, accepted, processing twice, result issued, result returned."""
    stamp = record_time.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    t = record_time
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("DossierSubmitted", ONE_STOP, {"receiving_agency_id": ONE_STOP, "submitted_at": t}),
        ("DossierAccepted", JUSTICE, {"agency_id": JUSTICE, "accepted_at": t}),
        ("DossierStatusChanged", JUSTICE, {"agency_id": JUSTICE, "status": 4, "changed_at": t}),
        ("DossierStatusChanged", JUSTICE, {"agency_id": JUSTICE, "status": 4, "changed_at": t}),
        ("ResultIssued", JUSTICE, {"agency_id": JUSTICE, "issued_at": t}),
        ("DossierStatusChanged", ONE_STOP, {"agency_id": ONE_STOP, "status": 10, "changed_at": t}),
    ]
    events = []
    for record, source, extra in steps:
        data = {**example_data(record), "dossier_code": code, "procedure_code": PROCEDURE, **extra}
        ce_type = load_event_catalog().by_record(f"vn.gov.thanhhoa.hub.{record}").ce_type
        events.append(CloudEvent(type=ce_type, source=source, subject=code, data=data, time=stamp))
    return events


class SoakHub:
    """An isolated hub on the broker, with one worker child process."""

    def __init__(self, base: HubSettings, workdir: Path) -> None:
        run = uuid.uuid4().hex[:8]
        prefix = f"soak{run}.hub"
        streams = base.streams.model_copy(
            update={
                "app_id": f"hub-soak-{run}",
                "partitions": 3,
                "data_dir": workdir / "streams",
                "web_enabled": False,
            }
        )
        self.settings = base.model_copy(
            update={
                "topic_prefix": prefix,
                "schemas_topic": f"{prefix}._schemas",
                "streams": streams,
            }
        )
        self.names = TopicNames(prefix)
        self.workdir = workdir
        with SchemaStore(self.settings, topic=self.settings.schemas_topic) as store:
            register_all(self.settings, store=store)
        self.signers: dict[str, Signer] = {}
        with RegistryStore(self.settings) as registry:
            registry.apply(load_catalog())
            for agency in (HUB, ONE_STOP, JUSTICE):
                path, key = generate_agency_key(
                    registry, agency, workdir / "keys", PASSPHRASE, now=datetime.now(UTC)
                )
                self.signers[agency] = load_signer(path, PASSPHRASE, agency, key.key_id)
                if agency == HUB:
                    self.settings = self.settings.model_copy(update={"signing_key_file": path})
        self.resolver = SchemaStore(self.settings, topic=self.settings.schemas_topic)
        self.resolver.start()
        self.codec = EventCodec(self.resolver)
        self.worker: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        s, kafka = self.settings, self.settings.kafka
        env = {
            "HUB_KAFKA_BOOTSTRAP": s.bootstrap,
            "HUB_KAFKA_SECURITY_PROTOCOL": kafka.security_protocol,
            "HUB_TOPIC_PREFIX": s.topic_prefix,
            "HUB_SCHEMAS_TOPIC": s.schemas_topic,
            "HUB_AGENCY_ID": s.agency_id,
            "HUB_STREAMS_APP_ID": s.streams.app_id,
            "HUB_STREAMS_PARTITIONS": str(s.streams.partitions),
            "HUB_STREAMS_DATA_DIR": str(s.streams.data_dir),
            "HUB_STREAMS_TABLE_STORE": s.streams.table_store,
            "HUB_STREAMS_WEB_ENABLED": "false",
            "HUB_SIGNING_KEY_FILE": str(s.signing_key_file),
            "HUB_SIGNING_KEY_PASSPHRASE": PASSPHRASE.decode(),
        }
        if kafka.sasl_mechanism is not None:
            secret = kafka.sasl_password
            env |= {
                "HUB_KAFKA_SASL_MECHANISM": kafka.sasl_mechanism,
                "HUB_KAFKA_SASL_USERNAME": kafka.sasl_username or "",
                "HUB_KAFKA_SASL_PASSWORD": secret.get_secret_value() if secret else "",
            }
        if kafka.ssl_cafile is not None:
            env["HUB_KAFKA_SSL_CAFILE"] = str(kafka.ssl_cafile)
        return env

    def start_worker(self, timeout_s: float = 120.0) -> int:
        log_path = self.workdir / "worker.log"
        with log_path.open("ab") as log:
            self.worker = subprocess.Popen(
                [sys.executable, "-m", "hub_api.cli", "worker", "--without-web"],
                cwd=REPO,
                env={**os.environ, **self.env()},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout_s
        while "Worker ready" not in log_path.read_text(errors="replace"):
            if self.worker.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"the worker did not get ready:\n{tail}")
            time.sleep(0.5)
        return self.worker.pid

    def close(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            self.worker.terminate()
            try:
                self.worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.worker.kill()
                self.worker.wait(timeout=30)
        self.resolver.stop()
        delete_topics_with_prefix(
            self.settings.kafka_client_config(),
            [f"{self.settings.topic_prefix}.", self.settings.streams.app_id],
        )


class Lag:
    """Consumer lag of the worker's group: end offsets minus committed offsets."""

    def __init__(self, settings: HubSettings, group: str, topics: dict[str, list[str]]) -> None:
        self._config = settings.kafka_client_config()
        self._group, self._topics = group, topics
        self._admin = KafkaAdminClient(**self._config)
        self._consumer = KafkaConsumer(**self._config, enable_auto_commit=False)

    def measure(self) -> dict[str, int]:
        committed = self._admin.list_group_offsets(self._group).get(self._group, {})
        out: dict[str, int] = {}
        for label, topics in self._topics.items():
            parts = [
                TopicPartition(topic, p)
                for topic in topics
                for p in sorted(self._consumer.partitions_for_topic(topic) or ())
            ]
            ends = self._consumer.end_offsets(parts) if parts else {}
            out[label] = sum(
                end - (committed[tp].offset if tp in committed else 0) for tp, end in ends.items()
            )
        return out

    def close(self) -> None:
        self._consumer.close()
        self._admin.close()


def _rss_mb(pid: int) -> float:
    try:
        proc = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 1e6
    except psutil.Error:
        return 0.0


def soak(hub: SoakHub, minutes: float, rate: float, every_s: float, drain_s: float) -> list[Sample]:
    """Publish at ``rate`` for ``minutes``, sampling every ``every_s``; then drain."""
    pid = hub.start_worker()
    names = hub.names
    lag = Lag(
        hub.settings,
        hub.settings.streams.app_id,
        {"ingress": [names.ingress], "events": [names.events("dossier")]},
    )
    producer = KafkaProducer(
        **hub.settings.kafka_client_config(), acks="all", enable_idempotence=True, linger_ms=5
    )
    samples: list[Sample] = []
    start = time.monotonic()
    end = start + minutes * 60
    next_sample = start
    sent = dossiers = 0
    pending: list[KafkaMessage] = []
    day0 = date(2026, 1, 1)

    def sample(now: float) -> None:
        lags = lag.measure()
        point = Sample(
            round(now - start, 1), sent, round(_rss_mb(pid), 1), lags["ingress"], lags["events"]
        )
        samples.append(point)
        print(
            f"{point.t_s:8.1f}s  sent {point.sent:8d}  worker RSS {point.worker_rss_mb:7.1f} MB  "
            f"lag ingress {point.ingress_lag:6d}  events {point.events_lag:6d}",
            flush=True,
        )

    try:
        while (now := time.monotonic()) < end:
            while sent < (now - start) * rate:
                if not pending:
                    dossiers += 1
                    day = day0 + timedelta(days=dossiers // 9000)
                    code = f"{ONE_STOP}-{day:%y%m%d}-{dossiers % 9000 + 1000:04d}"
                    pending = [
                        signed_message(hub.codec, hub.signers[e.source], e)
                        for e in _lifecycle(code, datetime.now(UTC))
                    ]
                m = pending.pop(0)
                producer.send(names.ingress, key=m.key, value=m.value, headers=m.header_list())
                sent += 1
            if now >= next_sample:
                producer.flush()
                sample(now)
                next_sample += every_s
            time.sleep(0.02)
        producer.flush()
        drain_end = time.monotonic() + drain_s
        while time.monotonic() < drain_end:
            sample(time.monotonic())
            if samples[-1].ingress_lag == 0 and samples[-1].events_lag == 0:
                break
            time.sleep(min(every_s, 5.0))
    finally:
        producer.close(timeout=10)
        lag.close()
    return samples


def summary(samples: Sequence[Sample]) -> dict[str, Any]:
    """RSS growth and lags over the run."""
    if not samples:
        return {}
    steady = samples[len(samples) // 4 :] or list(samples)  # after warm-up
    return {
        "samples": len(samples),
        "sent": samples[-1].sent,
        "rss_first_mb": samples[0].worker_rss_mb,
        "rss_after_warmup_mb": steady[0].worker_rss_mb,
        "rss_last_mb": samples[-1].worker_rss_mb,
        "rss_peak_mb": max(s.worker_rss_mb for s in samples),
        "rss_growth_after_warmup_mb": round(steady[-1].worker_rss_mb - steady[0].worker_rss_mb, 1),
        "max_ingress_lag": max(s.ingress_lag for s in samples),
        "max_events_lag": max(s.events_lag for s in samples),
        "final_ingress_lag": samples[-1].ingress_lag,
        "final_events_lag": samples[-1].events_lag,
    }


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=100.0, help="events per second")
    parser.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--drain", type=float, default=120.0, help="max seconds to drain")
    parser.add_argument("--json", type=Path, help="write the samples and summary here")
    parser.add_argument(
        "--table-store",
        help="the worker's table store, e.g. rocksdb:// (default: HUB_STREAMS_TABLE_STORE)",
    )
    parser.set_defaults(handler=_handle)


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``hub soak``: memory and lag of a worker under steady traffic for N minutes."""
    configure(sub.add_parser("soak", help="run a worker under steady traffic; memory and lag"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    configure(parser)
    return _handle(parser.parse_args(argv))


def _handle(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.table_store:
        streams = settings.streams.model_copy(update={"table_store": args.table_store})
        settings = settings.model_copy(update={"streams": streams})
    broker: LocalKafka | None = None
    if not settings.kafka.external:
        broker = LocalKafka(settings.local_kafka, progress=print)
        if not broker.start():
            broker = None  # already running: not ours to stop
        local = settings.local_kafka.bootstrap
        kafka = KafkaSettings(**{**settings.kafka.model_dump(), "bootstrap": local})
        settings = settings.model_copy(update={"kafka": kafka})
    with tempfile.TemporaryDirectory(prefix="hub-soak-") as tmp:
        hub = SoakHub(settings, Path(tmp))
        try:
            samples = soak(hub, args.minutes, args.rate, args.every, args.drain)
        finally:
            hub.close()
            if broker is not None:
                broker.stop()
    result = summary(samples)
    print(json.dumps(result, indent=2))
    if args.json is not None:
        args.json.write_text(
            json.dumps({"summary": result, "samples": [asdict(s) for s in samples]}, indent=2)
        )
    return 0 if result and result["final_ingress_lag"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
