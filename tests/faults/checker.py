"""Traffic for the fault scenarios, a model of what the hub must do with it, and the
checker that reads every sink afterwards and says whether the hub did exactly that.

What the hub guarantees, and so what is asserted where:

- Kafka topics (``hub.events.*``, agency inboxes, ``hub.dossier-state``, quarantine,
  dead-letter, audit): at-least-once. After a crash a record may appear again, but only as
  an identical redelivery (same key, value and headers) and never out of order within a
  dossier: the first copies of a dossier's events come in the order they were sent.
- A connector's legacy peer: exactly-once effect. Each event routed to the connector takes
  effect at the peer once (a resend after a crash or a timeout carries the same idempotency
  key and the peer answers it as a duplicate, without effect), in order per dossier, or is
  dead-lettered with a reason, never both, never neither.
- The dossier table (``hub.dossier-state``, latest per dossier): equal to a replay of the
  sent events through the pure lifecycle (``registry.lifecycle.apply``), because applying
  an event twice is a no-op.
- Counts: every sent record is settled exactly one way, so sent = delivered + quarantined
  + dead-lettered: quarantined by the hub (with the expected reason), or tracked and routed
  to every inbox it belongs in and then either delivered (taking effect at the peer when a
  connector carries it) or dead-lettered by that connector (with the reason the peer's
  answers call for). Per connector: routed to it = accepted at the peer + dead-lettered.
- The hub's own records (DossierRouted) and redelivered copies are counted apart.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from connectors.peers import LogEntry, Outcome
from hub_api.audit_cli import verify_audit
from hub_settings import HubSettings
from registry.catalog_loader import load_catalog
from registry.errors import IllegalTransitionError
from registry.lifecycle import DossierState, apply
from registry.publishing import signed_message
from schemas import CloudEvent, KafkaMessage
from schemas.rejects import split_rejected
from security import SIGNATURE_HEADER
from streams.audit_chain import message_digest
from streams.dossier_events import RouteState, RoutingError, lifecycle_events, route
from tests.support.dossiers import dossier_code, dossier_event
from tests.support.pipeline import HAC_THANH, JUSTICE, ONE_STOP, Pipeline, settings_env
from tests.support.processes import ChildProcess, python_module

PROCEDURE = "2.000488"  # phiếu lý lịch tư pháp: received at the one-stop centre, Sở Tư pháp
STATUS_CHANGED = "vn.gov.thanhhoa.dossier.status_changed"
NATIONAL_SYNC = "national-portal-sync"
FAST_GROUP_ENV = {"HUB_STREAMS_SESSION_TIMEOUT_S": "10", "HUB_STREAMS_HEARTBEAT_INTERVAL_S": "1"}
"""A SIGKILLed worker leaves the group after 10 s (the hub's default is 30 s), which keeps
each restart scenario well under a minute."""


# --- traffic ----------------------------------------------------------------------------
def lifecycle(code: str) -> list[CloudEvent]:
    """One dossier's whole life: submitted, accepted, processing (twice), result, returned.

    Business times are now, so that no dossier runs late while a scenario runs (an overdue
    event would be the hub's own, not part of the traffic)."""
    now = datetime.now(UTC)
    proc = {"procedure_code": PROCEDURE}
    return [
        dossier_event(
            "DossierSubmitted", ONE_STOP, code, receiving_agency_id=ONE_STOP, submitted_at=now,
            **proc,
        ),
        dossier_event(
            "DossierAccepted", JUSTICE, code, agency_id=JUSTICE, accepted_at=now, due_at=now,
            **proc,
        ),
        dossier_event(
            "DossierStatusChanged", JUSTICE, code, agency_id=JUSTICE, status=4,
            previous_status=2, changed_at=now, **proc,
        ),
        dossier_event(
            "DossierStatusChanged", JUSTICE, code, agency_id=JUSTICE, status=4,
            previous_status=4, changed_at=now, note="Chuyển bước thẩm định", **proc,
        ),
        dossier_event("ResultIssued", JUSTICE, code, agency_id=JUSTICE, issued_at=now, **proc),
        dossier_event(
            "DossierStatusChanged", ONE_STOP, code, agency_id=ONE_STOP, status=10,
            previous_status=9, changed_at=now, **proc,
        ),
    ]  # fmt: skip


@dataclass(frozen=True)
class Sent:
    """One record the scenario produced to ingress; ``reason`` = the expected quarantine
    reason when verification must refuse it (None: the model decides)."""

    message: KafkaMessage
    kind: str = "good"
    reason: str | None = None

    @property
    def digest(self) -> str:
        """Identifies the record; a replay is byte for byte its original, so it is marked."""
        return message_digest(self.message) + ("#replay" if self.kind == "replay" else "")

    @property
    def ce_id(self) -> str:
        return dict(self.message.headers).get("ce_id", b"").decode("utf-8", "replace")


POISON_KINDS = (
    "garbage",
    "bad_magic",
    "truncated",
    "bad_signature",
    "wrong_key",
    "unknown_type",
    "illegal_transition",
    "unknown_dossier",
    "replay",
)


class Traffic:
    """Builds a plan: interleaved dossier lifecycles, signed, with poison mixed in."""

    def __init__(self, pipe: Pipeline, seed: int = 10) -> None:
        self.pipe = pipe
        self.rng = random.Random(seed)

    def sign(self, event: CloudEvent, agency: str | None = None) -> KafkaMessage:
        return signed_message(self.pipe.codec, self.pipe.signers[agency or event.source], event)

    def plan(
        self,
        dossiers: int,
        *,
        window: int = 25,
        poison_every: int = 0,
        kinds: Sequence[str] = POISON_KINDS,
        script: Callable[[str], list[CloudEvent]] | None = None,
    ) -> list[Sent]:
        """``dossiers`` lifecycles (``script``, default :func:`lifecycle`), ``window`` of them
        in flight at a time, and one poison record after every ``poison_every`` good ones
        (cycling through ``kinds``)."""
        scripts = [(script or lifecycle)(dossier_code(ONE_STOP)) for _ in range(dossiers)]
        plan: list[Sent] = []
        active: list[list[CloudEvent]] = []
        waiting = iter(scripts)
        poisons = 0
        while True:
            while len(active) < window and (script := next(waiting, None)) is not None:
                active.append(script)
            if not active:
                return plan
            pick = self.rng.randrange(len(active))
            event = active[pick].pop(0)
            plan.append(Sent(self.sign(event)))
            if not active[pick]:
                del active[pick]
            if poison_every and len(plan) % (poison_every + 1) == poison_every:
                kind = kinds[poisons % len(kinds)]
                plan.append(self.poison(kind, event.subject, plan[-1].message))
                poisons += 1

    def poison(self, kind: str, code: str, last: KafkaMessage) -> Sent:
        """A bad record of ``kind`` next to dossier ``code``'s good traffic (same key);
        ``last`` is the dossier's latest good record (sent again as a replay)."""
        proc = {"procedure_code": PROCEDURE}
        fresh = dossier_event(
            "DossierStatusChanged", JUSTICE, code, agency_id=JUSTICE, status=4,
            changed_at=datetime.now(UTC), **proc,
        )  # fmt: skip
        good = self.sign(fresh)
        if kind == "garbage":
            size = self.rng.randrange(1, 400)
            value = bytes(self.rng.randrange(256) for _ in range(size))
            return Sent(
                KafkaMessage(f"garbage-{uuid.uuid4()}".encode(), value), kind, "missing_header"
            )
        if kind == "bad_magic":
            return Sent(_replace(good, value=b"\x07" + good.value[1:]), kind, "bad_magic_byte")
        if kind == "truncated":
            return Sent(_replace(good, value=good.value[:3]), kind, "truncated_value")
        if kind == "bad_signature":
            other = self.sign(
                dossier_event(
                    "DossierStatusChanged", JUSTICE, code, agency_id=JUSTICE, status=4, **proc
                )
            )
            stolen = dict(other.headers)[SIGNATURE_HEADER]
            return Sent(_with_header(good, SIGNATURE_HEADER, stolen), kind, "bad_signature")
        if kind == "wrong_key":
            return Sent(self.sign(fresh, HAC_THANH), kind, "key_agency_mismatch")
        if kind == "unknown_type":
            teleported = b"vn.gov.thanhhoa.dossier.teleported"
            # the codec reads the body with its writer schema (status_changed) first, so the
            # refusal is that ce_type does not match the body's schema
            return Sent(_with_header(good, "ce_type", teleported), kind, "event_type_mismatch")
        if kind == "illegal_transition":  # 10 (returned) straight from wherever it is: refused
            back = dossier_event(
                "DossierStatusChanged", ONE_STOP, code, agency_id=ONE_STOP, status=10, **proc
            )
            return Sent(self.sign(back), kind)
        if kind == "unknown_dossier":
            stranger = dossier_code(ONE_STOP)
            accepted = dossier_event(
                "DossierAccepted", JUSTICE, stranger, agency_id=JUSTICE, **proc
            )
            return Sent(self.sign(accepted), kind)
        if kind == "replay":  # the same signed record again, as a second Kafka record
            return Sent(last, kind, "replayed")
        raise ValueError(kind)


def _ce_id(message: KafkaMessage) -> str:
    return dict(message.headers).get("ce_id", b"").decode("utf-8", "replace")


def _same_bytes(a: KafkaMessage, b: KafkaMessage) -> bool:
    return (a.value, a.headers) == (b.value, b.headers)


def _replace(message: KafkaMessage, *, value: bytes) -> KafkaMessage:
    return KafkaMessage(message.key, value, message.headers)


def _with_header(message: KafkaMessage, name: str, value: bytes) -> KafkaMessage:
    headers = tuple((n, value if n == name else v) for n, v in message.headers)
    return KafkaMessage(message.key, message.value, headers)


class Sender:
    """Produces a plan to ingress from a thread at a steady pace (idempotent, acks=all),
    so that faults happen while traffic flows; ``sent`` counts acknowledged records."""

    def __init__(
        self, settings: HubSettings, topic: str, plan: Sequence[Sent], *, per_s: float
    ) -> None:
        self.settings, self.topic, self.plan, self.per_s = settings, topic, plan, per_s
        self.sent = 0
        self.error: BaseException | None = None
        self.started = self.finished = 0.0
        self._thread = threading.Thread(target=self._run, name="fault-sender", daemon=True)

    def start(self) -> Sender:
        self.started = time.monotonic()
        self._thread.start()
        return self

    def _run(self) -> None:
        config = {
            **self.settings.kafka_client_config(),
            "acks": "all",
            "enable_idempotence": True,
            "linger_ms": 5,
            "max_block_ms": 120_000,
        }
        chunk = max(1, int(self.per_s / 10))
        producer: KafkaProducer | None = None
        try:
            producer = KafkaProducer(**config)
            for start in range(0, len(self.plan), chunk):
                due = self.started + start / self.per_s
                time.sleep(max(0.0, due - time.monotonic()))  # pacing, not a wait for a result
                futures = [
                    producer.send(self.topic, key=s.message.key, value=s.message.value,
                                  headers=s.message.header_list())
                    for s in self.plan[start : start + chunk]
                ]  # fmt: skip
                for future in futures:
                    future.get(timeout=180)
                self.sent += len(futures)
        except BaseException as exc:
            self.error = exc
        finally:
            if producer is not None:
                producer.close(timeout=10)
            self.finished = time.monotonic()

    def wait_sent(self, count: int, timeout_s: float = 120.0) -> None:
        wait_until(lambda: self.sent >= count or self.error is not None, timeout_s, "sends")
        if self.error is not None:
            raise AssertionError(f"sending failed after {self.sent}: {self.error!r}")

    def join(self, timeout_s: float = 240.0) -> None:
        self._thread.join(timeout_s)
        assert not self._thread.is_alive(), f"sender still running after {timeout_s}s"
        if self.error is not None:
            raise AssertionError(f"sending failed after {self.sent}: {self.error!r}")


def wait_until(check: Callable[[], bool], timeout_s: float, what: str) -> float:
    """Seconds until ``check()`` held; AssertionError after ``timeout_s``."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout_s:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(0.1)
    return time.monotonic() - start


def start_worker(
    pipe: Pipeline, name: str, timeout_s: float = 120.0, *, wait: bool = True
) -> ChildProcess:
    """A stream worker child process (own SASL principal when local), by default ready."""
    env = {**_worker_env(pipe), **FAST_GROUP_ENV}
    argv = python_module("hub_api.cli", "worker", "--without-web")
    worker = ChildProcess(name, argv, env, pipe.workdir).start()
    pipe.workers.append(worker)
    if wait:
        worker.wait_for("Worker ready", timeout_s=timeout_s)
    return worker


def _worker_env(pipe: Pipeline) -> dict[str, str]:
    return settings_env(pipe.settings, pipe.worker_kafka)


# --- the model --------------------------------------------------------------------------
class Model:
    """What the hub must do with a plan: a replay through the pure lifecycle and router."""

    def __init__(self, pipe: Pipeline, plan: Sequence[Sent]) -> None:
        catalog = load_catalog()
        calendar = catalog.calendar()
        self.plan = list(plan)
        self.quarantine: dict[str, str] = {}  # digest -> reason
        self.delivered: list[Sent] = []
        self.states: dict[str, DossierState] = {}
        self.types: dict[str, str] = {}  # ce_id -> ce_type
        self.events: dict[str, CloudEvent] = {}  # ce_id -> the delivered event
        self.inboxes: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        self.targets: dict[str, set[str]] = defaultdict(set)  # ce_id -> inboxes it must reach
        routes: dict[str, RouteState] = {}
        for sent in plan:
            if sent.reason is not None:
                self.quarantine[sent.digest] = sent.reason
                continue
            event = pipe.codec.decode(sent.message)
            code = event.subject
            try:
                new = self.states.get(code)
                for step in lifecycle_events(event, new, catalog):
                    new = apply(new, step, calendar=calendar)
                decision = route(event, routes.get(code), catalog)
            except IllegalTransitionError:
                self.quarantine[sent.digest] = "illegal_transition"
                continue
            except RoutingError as exc:
                self.quarantine[sent.digest] = exc.reason
                continue
            if new is not None:
                self.states[code] = new
            if decision.state is not None:
                routes[code] = decision.state
            for target in decision.inboxes:
                self.inboxes[pipe.names.inbox(target)][code].append(event.id)
                self.targets[event.id].add(pipe.names.inbox(target))
            self.types[event.id] = event.type
            self.events[event.id] = event
            self.delivered.append(sent)

    def routed_to(self, inbox: str, types: Iterable[str]) -> dict[str, list[str]]:
        """Per dossier, the ids of the events of ``types`` that must reach ``inbox``."""
        wanted = set(types)
        out = {
            code: [i for i in ids if self.types[i] in wanted]
            for code, ids in self.inboxes.get(inbox, {}).items()
        }
        return {code: ids for code, ids in out.items() if ids}


# --- reading the sinks ------------------------------------------------------------------
class TopicReader:
    """Reads one topic from the beginning, incrementally (created late: picked up later)."""

    def __init__(self, settings: HubSettings, topic: str) -> None:
        self.topic = topic
        self.records: list[KafkaMessage] = []
        self._consumer = KafkaConsumer(**settings.kafka_client_config(), enable_auto_commit=False)
        self._assigned = False

    def poll(self) -> None:
        if not self._assigned:
            parts = self._consumer.partitions_for_topic(self.topic)
            if not parts:
                return
            tps = [TopicPartition(self.topic, p) for p in sorted(parts)]
            self._consumer.assign(tps)
            self._consumer.seek_to_beginning(*tps)
            self._assigned = True
        for _ in range(20):
            batches = self._consumer.poll(timeout_ms=100, max_records=5000)
            if not batches:
                return
            for batch in batches.values():
                self.records.extend(KafkaMessage.from_record(r) for r in batch)

    def close(self) -> None:
        self._consumer.close()


@dataclass
class PeerCheck:
    """A connector and its peer: what it consumes and delivers, and how to read the peer."""

    name: str  # the connector's name (dead-letter stage ``connector:<name>``)
    inbox: str
    types: tuple[str, ...]
    log: Callable[[], list[LogEntry]]
    expect_dead: Callable[[list[LogEntry]], dict[str, str]] = lambda _log: {}
    """ce_id -> reason of the deliveries that must be dead-lettered, from the peer's log."""
    skipped: Callable[[], int] | None = None
    """How many inbox records the connector's ledger recognised as already delivered. When
    given (the connector is never killed), it must equal the repeated copies in ``inbox``:
    each redelivered copy reached the connector and was stopped there."""
    running: Callable[[], bool] | None = None
    """Whether the connector must still be running (one run through the whole fault): when
    it has exited, the check stops waiting and says so."""


@dataclass
class Figures:
    """What a scenario did, printed after it and collected into docs/reliability.md."""

    scenario: str
    sent: int = 0
    good: int = 0
    poison: dict[str, int] = field(default_factory=dict)
    delivered: int = 0
    quarantined: int = 0
    dead_lettered: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    inbox_records: int = 0
    redelivered: int = 0
    dossiers: int = 0
    peers: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        peers = "; ".join(
            f"{name}: routed {p['routed']} = accepted {p['accepted']} + dead-lettered "
            f"{p['dead_lettered']} (duplicates answered {p['duplicates']}, resends {p['resends']}"
            f", inbox repeats {p['inbox_repeats']}"
            + (f", stopped by the ledger {p['skipped']})" if "skipped" in p else ")")
            for name, p in self.peers.items()
        )
        return (
            f"[{self.scenario}] sent {self.sent} = delivered {self.delivered} + quarantined "
            f"{self.quarantined} + dead-lettered {self.dead_lettered} (sent {self.good} good, "
            f"{self.sent - self.good} poison); dossiers {self.dossiers}; "
            f"inbox records {self.inbox_records} ({self.redelivered} identical redeliveries); "
            f"quarantine {dict(sorted(self.quarantine_reasons.items()))}"
            + (f"; {peers}" if peers else "")
            + f"; times {self.seconds}"
            + (f"; {self.notes}" if self.notes else "")
        )


class Checker:
    """Reads every sink of one pipeline and compares it with the model."""

    def __init__(
        self,
        pipe: Pipeline,
        model: Model,
        peers: Sequence[PeerCheck] = (),
        scenario: str = "",
    ) -> None:
        self.pipe, self.model, self.peers = pipe, model, list(peers)
        names = pipe.names
        inboxes = sorted(model.inboxes)
        topics = [names.quarantine, names.deadletter, names.dossier_state, names.audit, *inboxes]
        self.readers = {t: TopicReader(pipe.settings, t) for t in topics}
        self.figures = Figures(scenario)

    def close(self) -> None:
        for reader in self.readers.values():
            reader.close()

    def __enter__(self) -> Checker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def poll(self) -> None:
        for reader in self.readers.values():
            reader.poll()

    # -- what is there -------------------------------------------------------------------
    def _rejected(self, topic: str) -> dict[str, list[tuple[str, str]]]:
        """digest of the original -> [(reason, stage)] of each copy."""
        replays = {s.digest.removesuffix("#replay") for s in self.model.plan if s.kind == "replay"}
        out: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for record in self.readers[topic].records:
            original, why = split_rejected(record)
            digest = message_digest(original)
            if digest in replays:  # the replay, or (a bug) its original: told apart by origin
                digest += "#replay"
            out[digest].append((why.reason, why.origin))
        for digest in [d for d in out if d.endswith("#replay")]:
            original = digest.removesuffix("#replay")
            if original in self.model.quarantine:  # the original was refused too: the copy
                copies = out.pop(digest)  # refused as a replay is the replay's
                out[digest] = [c for c in copies if c[0] == "replayed"]
                out[original] = [c for c in copies if c[0] != "replayed"]
        return {d: copies for d, copies in out.items() if copies}

    def _states(self) -> dict[str, bytes]:
        latest: dict[str, bytes] = {}
        for record in self.readers[self.pipe.names.dossier_state].records:
            if record.key is not None:
                latest[record.key.decode()] = record.value
        return latest

    def problems(self, final: bool) -> list[str]:
        """Everything that differs from the model (only what is missing unless ``final``)."""
        model, out = self.model, []
        by_digest = {s.digest: s for s in model.plan}
        quarantined = self._rejected(self.pipe.names.quarantine)
        for digest, reason in model.quarantine.items():
            found = quarantined.get(digest)
            sent = by_digest[digest]
            if not found:
                out.append(f"not quarantined: {sent.kind} {sent.ce_id or digest[:12]}")
            elif final and {r for r, _ in found} != {reason}:
                out.append(f"{sent.kind} {sent.ce_id}: quarantined as {found}, expected {reason}")
            elif final and sent.kind == "replay" and len({o for _, o in found}) > 1:
                out.append(f"replayed {sent.ce_id}: its original was quarantined too: {found}")
        delivered_digests = {s.digest for s in model.delivered}
        if final:
            for digest in quarantined:
                if digest in delivered_digests:
                    sent = by_digest[digest]
                    out.append(f"good event {sent.ce_id} quarantined: {quarantined[digest]}")
        sent_by_id = {s.ce_id: s for s in model.delivered}
        refused_ids = {s.ce_id for s in model.plan if s.ce_id} - set(sent_by_id)
        reached: dict[str, set[str]] = defaultdict(set)  # ce_id -> inboxes it reached
        inbox_records = redelivered = 0
        for inbox, expected in model.inboxes.items():
            seen: dict[str, list[str]] = defaultdict(list)
            first: dict[str, KafkaMessage] = {}
            for record in self.readers[inbox].records:
                ce_id = dict(record.headers).get("ce_id", b"").decode("utf-8", "replace")
                if ce_id in refused_ids:
                    out.append(f"{inbox}: refused event {ce_id} was delivered")
                    continue
                if ce_id not in sent_by_id:
                    continue  # the hub's own events (DossierRouted)
                inbox_records += 1
                if ce_id in first:
                    redelivered += 1
                    if final and first[ce_id] != record:
                        out.append(f"{inbox}: {ce_id} redelivered with different bytes")
                    continue
                first[ce_id] = record
                reached[ce_id].add(inbox)
                code = record.key.decode() if record.key else ""
                seen[code].append(ce_id)
                original = sent_by_id.get(ce_id)
                if final and original is not None and not _same_bytes(record, original.message):
                    out.append(f"{inbox}: {ce_id} differs from what was sent")
            for code, ids in expected.items():
                got = seen.get(code, [])
                if got[: len(ids)] != ids or (final and got != ids):
                    if not final and set(got) <= set(ids) and len(got) < len(ids):
                        out.append(f"{inbox}: {code} has {len(got)}/{len(ids)}")
                    elif final or not set(got) <= set(ids):
                        out.append(f"{inbox}: {code} got {got}, expected {ids}")
            if final:
                for code in set(seen) - set(expected):
                    out.append(f"{inbox}: unexpected events for {code}: {seen[code]}")
        states = self._states()
        for code, state in model.states.items():
            raw = states.get(code)
            actual = DossierState.model_validate_json(raw) if raw is not None else None
            if actual != state:
                got = (
                    f"status {int(actual.status)}, {len(actual.timeline)} entries"
                    if actual
                    else "none"
                )
                out.append(
                    f"dossier {code}: table has {got}; model status {int(state.status)}, "
                    f"{len(state.timeline)} entries"
                )
        out += self._peer_problems(final)
        out += self._audit_problems(final)
        if final:
            fig = self.figures
            fig.sent, fig.dossiers = len(model.plan), len(model.states)
            fig.good = sum(1 for s in model.plan if s.kind == "good")
            fig.poison = dict(Counter(s.kind for s in model.plan if s.kind != "good"))
            fig.inbox_records, fig.redelivered = inbox_records, redelivered
            fig.quarantined = sum(1 for d in model.quarantine if d in quarantined)
            fig.quarantine_reasons = dict(
                Counter(quarantined[d][0][0] for d in model.quarantine if d in quarantined)
            )
            dead = self._dead_letters()
            fig.dead_lettered = sum(1 for s in model.delivered if s.ce_id in dead)
            fig.delivered = sum(
                1
                for s in model.delivered
                if s.digest not in quarantined
                and s.ce_id not in dead
                and reached[s.ce_id] >= model.targets[s.ce_id]
            )
            strangers = set(dead) - {s.ce_id for s in model.delivered}
            if strangers:
                out.append(f"dead-lettered but never delivered to an inbox: {sorted(strangers)}")
            if fig.sent != fig.delivered + fig.quarantined + fig.dead_lettered:
                out.append(
                    f"counts do not reconcile: sent {fig.sent} != delivered {fig.delivered} + "
                    f"quarantined {fig.quarantined} + dead-lettered {fig.dead_lettered}"
                )
        return out

    def _dead_letters(self) -> dict[str, list[tuple[str, str]]]:
        """ce_id -> [(reason, stage)] of each dead-letter record."""
        out: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for record in self.readers[self.pipe.names.deadletter].records:
            original, why = split_rejected(record)
            out[dict(original.headers).get("ce_id", b"").decode()].append((why.reason, why.stage))
        return out

    def _peer_problems(self, final: bool) -> list[str]:
        out: list[str] = []
        dead_ids = self._dead_letters()
        for peer in self.peers:
            log = peer.log()
            expected = self.model.routed_to(peer.inbox, peer.types)
            must_die = peer.expect_dead(log)
            stage = f"connector:{peer.name}"
            mine = {i: [r for r, s in v if s == stage] for i, v in dead_ids.items()}
            mine = {i: v for i, v in mine.items() if v}
            accepted = [e for e in log if e.outcome == Outcome.ACCEPTED]
            counts = Counter(e.idempotency_key for e in accepted)
            order: dict[str, list[str]] = defaultdict(list)
            for entry in accepted:
                order[entry.dossier_code or ""].append(entry.idempotency_key or "")
            routed = sum(len(ids) for ids in expected.values())
            wanted = {i for ids in expected.values() for i in ids}
            copies = Counter(_ce_id(r) for r in self.readers[peer.inbox].records)
            repeats = sum(n - 1 for i, n in copies.items() if i in wanted)
            skipped = peer.skipped() if peer.skipped is not None else None
            if not final and skipped is not None and skipped < repeats:
                out.append(f"{peer.name}: {skipped}/{repeats} repeated copies seen")
            for code, ids in expected.items():
                want = [i for i in ids if i not in mine]
                got = order.get(code, [])
                if final and got != want:
                    out.append(f"{peer.name}: {code} accepted {got}, expected {want}")
                elif not final and len([i for i in ids if i in counts or i in mine]) < len(ids):
                    out.append(f"{peer.name}: {code} incomplete")
            if peer.running is not None and not peer.running():
                out.append(f"{peer.name}: the connector exited")
            if final:
                for key, n in counts.items():
                    if n > 1:
                        out.append(f"{peer.name}: {key} took effect {n} times")
                for key in set(mine) & set(counts):
                    out.append(f"{peer.name}: {key} both accepted and dead-lettered {mine[key]}")
                for key, reason in must_die.items():
                    if mine.get(key) != [reason]:
                        got = mine.get(key)
                        out.append(f"{peer.name}: {key} dead-lettered as {got}, expected {reason}")
                for key in set(mine) - set(must_die):
                    out.append(f"{peer.name}: {key} dead-lettered unexpectedly: {mine[key]}")
                resends = len([e for e in log if e.idempotency_key]) - len(counts)
                duplicates = sum(1 for e in log if e.outcome == Outcome.DUPLICATE)
                self.figures.peers[peer.name] = {
                    "routed": routed,
                    "accepted": sum(counts.values()),
                    "dead_lettered": len(mine),
                    "duplicates": duplicates,
                    "resends": resends,
                    "requests": len(log),
                    "inbox_repeats": repeats,
                }
                if skipped is not None:
                    self.figures.peers[peer.name]["skipped"] = skipped
                    if skipped != repeats:
                        out.append(
                            f"{peer.name}: the ledger stopped {skipped} copies; the inbox "
                            f"repeated {repeats}"
                        )
                if routed != sum(counts.values()) + len(mine):
                    out.append(
                        f"{peer.name}: routed {routed} != accepted {sum(counts.values())} + "
                        f"dead-lettered {len(mine)}"
                    )
        return out

    def _audit_problems(self, final: bool) -> list[str]:
        """Every accepted and quarantined record is in the audit chain, and (final) the chain
        verifies, signatures included, as ``hub audit verify`` checks it."""
        chained: dict[str, set[str]] = defaultdict(set)  # digest -> outcomes
        for record in self.readers[self.pipe.names.audit].records:
            item = json.loads(record.value)
            if item.get("kind") == "entry":
                chained[item["entry"]["digest"]].add(item["entry"]["outcome"])
        out = [
            f"audit: accepted {s.ce_id} is not in the chain"
            for s in self.model.delivered
            if "accepted" not in chained.get(s.digest, set())
        ]
        out += [
            f"audit: quarantined {digest[:12]} is not in the chain"
            for digest in self.model.quarantine
            if "quarantined" not in chained.get(digest.removesuffix("#replay"), set())
        ]
        if final:
            report = verify_audit(self.pipe.settings)
            self.figures.notes["audit"] = report.summary()
            if not report.intact:
                out.append(report.summary())
        return out

    # -- the whole check -----------------------------------------------------------------
    def wait_and_check(self, timeout_s: float = 150.0, settle_s: float = 2.0) -> Figures:
        """Poll every sink until nothing is missing (or the timeout), then the full check."""
        start = time.monotonic()
        missing: list[str] = []
        while time.monotonic() - start < timeout_s:
            self.poll()
            missing = self.problems(final=False)
            if not missing or any(p.running is not None and not p.running() for p in self.peers):
                break
            time.sleep(0.5)
        settled = time.monotonic() - start
        end = time.monotonic() + settle_s
        while time.monotonic() < end:  # late extras (redeliveries) would show up here
            self.poll()
            time.sleep(0.2)
        problems = self.problems(final=True)
        self.figures.seconds["settle"] = round(settled, 1)
        report(self.figures)
        if problems:
            dump_sinks(self.pipe, sorted(self.model.inboxes))
            tails = "\n".join(f"--- {w.name}\n{w.tail(25)}" for w in self.pipe.workers)
            shown = "\n".join(problems[:40])
            raise AssertionError(
                f"{len(problems)} problems ({len(missing)} still missing after {settled:.0f}s):\n"
                f"{shown}\n{tails}"
            )
        return self.figures


def dump_sinks(pipe: Pipeline, inboxes: Iterable[str]) -> None:
    """Every record of the hub's topics, as JSON lines in ``<workdir>/sinks/`` (the topics
    are dropped when the pipeline closes; a failure can be examined afterwards)."""
    out = pipe.workdir / "sinks"
    out.mkdir(exist_ok=True)
    consumer = KafkaConsumer(**pipe.settings.kafka_client_config(), enable_auto_commit=False)
    try:
        for topic in [*pipe.names.fixed(), pipe.names.dossier_state, *inboxes]:
            parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
            if not parts:
                continue
            consumer.assign(parts)
            consumer.seek_to_beginning(*parts)
            ends = consumer.end_offsets(parts)
            with (out / f"{topic}.jsonl").open("w", encoding="utf-8") as file:
                deadline = time.monotonic() + 30
                while any(consumer.position(p) < ends[p] for p in parts):
                    if time.monotonic() > deadline:
                        break
                    for batch in consumer.poll(timeout_ms=500, max_records=5000).values():
                        for r in batch:
                            row = {
                                "p": r.partition, "o": r.offset, "ts": r.timestamp,
                                "key": (r.key or b"").decode("utf-8", "replace"),
                                "headers": {n: (v or b"").decode("utf-8", "replace")
                                            for n, v in r.headers or ()},
                                "value": (r.value or b"").decode("utf-8", "replace"),
                            }  # fmt: skip
                            file.write(json.dumps(row, ensure_ascii=False) + "\n")
    except Exception as exc:  # a dump is a courtesy; the check's own failure matters
        print(f"sinks not dumped: {exc!r}")
    finally:
        consumer.close()


def report(figures: Figures) -> None:
    """Print the figures, and append them as JSON to ``$HUB_FAULTS_REPORT`` when set."""
    print(figures.line(), flush=True)
    path = os.environ.get("HUB_FAULTS_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(figures.__dict__, default=str, ensure_ascii=False) + "\n")


__all__ = [
    "FAST_GROUP_ENV",
    "NATIONAL_SYNC",
    "POISON_KINDS",
    "STATUS_CHANGED",
    "Checker",
    "Figures",
    "Model",
    "PeerCheck",
    "Sender",
    "Sent",
    "Traffic",
    "start_worker",
    "wait_until",
]
