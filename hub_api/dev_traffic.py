"""Play demo dossier scripts into the hub at a steady rate, then count what happened.

Events are signed with each sending agency's key and produced to ``hub.ingress``; waits
ask the hub API for the dossier's state. Afterwards the accepted and quarantined copies
of our events are counted on the hub's topics, and each dossier's final status is read
back through the API, so the summary shows what the hub did, not what was sent.
"""

from __future__ import annotations

import heapq
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

import httpx
from kafka import KafkaConsumer, TopicPartition

from hub_api.demo_traffic import DossierScript, Step
from hub_settings import HubSettings
from registry.publishing import EventPublisher, signed_message
from schemas import CloudEvent, EventCodec, KafkaMessage, load_catalog
from schemas.topics import TopicNames
from security import Signer

__all__ = ["DossierApi", "PlayResult", "Progress", "Tally", "play"]

_NS = "vn.gov.thanhhoa.hub."
_OVERDUE = "vn.gov.thanhhoa.dossier.overdue"
_AWAIT_STATUS_S = 60.0
_AWAIT_OVERDUE_S = 45.0


class DossierApi:
    """The hub API as an operator sees it (``GET /v1/dossiers/{code}``)."""

    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url
        self._client = httpx.Client(base_url=base_url, headers={"X-API-Key": api_key}, timeout=5.0)

    def dossier(self, code: str) -> dict[str, Any] | None:
        try:
            response = self._client.get(f"/v1/dossiers/{code}")
        except httpx.HTTPError:
            return None
        return response.json() if response.status_code == 200 else None

    def ready(self) -> bool:
        try:
            return self._client.get("/readyz").status_code == 200
        except httpx.HTTPError:
            return False

    def close(self) -> None:
        self._client.close()


class Progress:
    """A one-line progress bar on stderr (a line per 10% when stderr is not a terminal)."""

    def __init__(self, total: int, out: TextIO = sys.stderr, width: int = 30) -> None:
        self.total, self.out, self.width = max(total, 1), out, width
        self.tty = out.isatty()
        self._shown, self._last = -1, 0.0
        self.started = time.monotonic()

    def update(self, sent: int, done: int, dossiers: int, *, final: bool = False) -> None:
        now = time.monotonic()
        filled = min(self.width, self.width * sent // self.total)
        rate = sent / max(now - self.started, 1e-6)
        line = (
            f"[{'#' * filled}{'.' * (self.width - filled)}] {sent}/{self.total} events"
            f"  {done}/{dossiers} dossiers  {rate:5.1f} ev/s"
        )
        if self.tty:
            if final or now - self._last >= 0.2:
                self.out.write(f"\r{line}" + ("\n" if final else ""))
                self.out.flush()
                self._last = now
        else:
            tenth = 10 * sent // self.total
            if tenth != self._shown or final:
                self._shown = tenth
                print(line, file=self.out, flush=True)


@dataclass
class PlayResult:
    """What the player did: ids sent, dossiers finished or stuck, elapsed seconds."""

    sent_ids: set[str] = field(default_factory=set)
    finished: list[DossierScript] = field(default_factory=list)
    stuck: dict[str, str] = field(default_factory=dict)
    elapsed_s: float = 0.0


def _event(step: Step, script: DossierScript) -> CloudEvent:
    catalog = load_catalog()
    full = f"{_NS}{step.record}"
    names = {f["name"] for f in catalog.schema(full)["fields"]}
    data = {k: v for k, v in step.data.items() if k in names}
    if step.time_field:
        data[step.time_field] = step.backdated or datetime.now(UTC)
    return CloudEvent(
        type=catalog.by_record(full).ce_type, source=step.source, subject=script.code, data=data
    )


def _waited(step: Step, state: dict[str, Any] | None) -> bool:
    if state is None:
        return False
    if step.await_status is not None:
        return int(state["status"]) == step.await_status
    return bool(state.get("overdue"))


def play(
    scripts: list[DossierScript],
    *,
    settings: HubSettings,
    codec: EventCodec,
    signers: dict[str, Signer],
    api: DossierApi,
    rate: float,
    stop: threading.Event,
    progress: Progress | None = None,
) -> PlayResult:
    """Send every script's events at ``rate`` events/s overall, dossiers interleaved."""
    result = PlayResult()
    total = sum(1 for s in scripts for step in s.steps if step.record != "")
    spacing = total / max(rate, 0.1) / max(len(scripts), 1)
    started = time.monotonic()
    queue = [(started + i * spacing, i) for i in range(len(scripts))]
    heapq.heapify(queue)
    position = [0] * len(scripts)
    waiting_since: dict[int, float] = {}
    next_send = started
    publisher = EventPublisher(settings, codec, next(iter(signers.values())), linger_ms=0)
    try:
        while queue and not stop.is_set():
            ready, index = heapq.heappop(queue)
            script = scripts[index]
            step = script.steps[position[index]]
            now = time.monotonic()
            at = ready if step.record == "" else max(ready, next_send)
            if at > now and stop.wait(at - now):
                break
            if step.record == "":
                since = waiting_since.setdefault(index, time.monotonic())
                limit = _AWAIT_STATUS_S if step.await_status is not None else _AWAIT_OVERDUE_S
                if not _waited(step, api.dossier(script.code)):
                    if time.monotonic() - since > limit:
                        what = f"status {step.await_status}" if step.await_status else "overdue"
                        result.stuck[script.code] = f"the hub never showed {what}"
                    else:
                        heapq.heappush(queue, (time.monotonic() + 0.5, index))
                    continue
                waiting_since.pop(index, None)
            else:
                event = _event(step, script)
                publisher.send([signed_message(codec, signers[step.source], event)])
                result.sent_ids.add(event.id)
                next_send = max(next_send, time.monotonic() - 1.0) + 1.0 / rate
            position[index] += 1
            if position[index] < len(script.steps):
                delay = script.steps[position[index]].delay_s
                heapq.heappush(queue, (time.monotonic() + delay, index))
            else:
                result.finished.append(script)
            if progress is not None:
                progress.update(len(result.sent_ids), len(result.finished), len(scripts))
    finally:
        publisher.close()
    if progress is not None:
        progress.update(len(result.sent_ids), len(result.finished), len(scripts), final=True)
    result.elapsed_s = time.monotonic() - started
    return result


class Tally:
    """Counts our events on the accepted-events and quarantine topics, from now on."""

    def __init__(self, settings: HubSettings) -> None:
        names = TopicNames(settings.topic_prefix)
        self._accepted_topics = {names.events("dossier"), names.events("payment")}
        topics = [*sorted(self._accepted_topics), names.quarantine]
        self._consumer = KafkaConsumer(**settings.kafka_client_config(), enable_auto_commit=False)
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(self._consumer.partitions_for_topic(topic) or {0})
        ]
        self._consumer.assign(partitions)
        ends = self._consumer.end_offsets(partitions)
        for tp in partitions:
            self._consumer.seek(tp, ends.get(tp, 0))
        self.accepted: set[str] = set()
        self.quarantined: dict[str, str] = {}
        """ce_id -> quarantine reason."""
        self.overdue: set[str] = set()

    def _take(self, topic: str, message: KafkaMessage) -> None:
        headers = {name: value.decode("utf-8", "replace") for name, value in message.headers}
        ce_id = headers.get("ce_id", "")
        if topic in self._accepted_topics:
            self.accepted.add(ce_id)
            if headers.get("ce_type") == _OVERDUE and message.key:
                self.overdue.add(message.key.decode())
        else:
            self.quarantined.setdefault(ce_id, headers.get("hub_reject_reason", "?"))

    def settle(self, sent: set[str], timeout_s: float, codes: set[str]) -> None:
        """Read until every id in ``sent`` is accepted or quarantined (or time out)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for tp, records in self._consumer.poll(timeout_ms=300).items():
                for record in records:
                    self._take(tp.topic, KafkaMessage.from_record(record))
            if sent <= (self.accepted | self.quarantined.keys()):
                break
        self.accepted &= sent
        self.overdue &= codes

    def reasons(self, sent: set[str]) -> Counter[str]:
        """Quarantine reasons of our events."""
        return Counter(r for ce_id, r in self.quarantined.items() if ce_id in sent)

    def close(self) -> None:
        self._consumer.close()
