"""Inbound connectors: a legacy system's changes -> signed events on ``hub.ingress``.

Two ways in: a webhook the legacy system calls (small FastAPI app under uvicorn), and a
poller that asks it for changes after a cursor. The cursor lives in the compacted topic
``<prefix>.connector.<name>.cursor`` and moves only after the page's events are
acknowledged by Kafka. A crash in between republishes that page after a restart with the
same event ids (derived from the legacy change id), so downstream dedupe drops them.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from kafka import KafkaProducer

from connectors.config import ConnectorConfig, EventRule, Poll, Webhook, secret
from connectors.dedupe import StateLog, state_topic
from connectors.errors import ConnectorError, DeliveryError, MappingError
from connectors.mapping import resolve
from connectors.runtime import build_event, open_target
from hub_settings import HubSettings
from registry.publishing import PublishError
from schemas import CloudEvent, EncodeError, KafkaMessage
from schemas.rejects import Rejection, reject
from schemas.topics import TopicNames

__all__ = ["Poller", "WebhookServer", "create_webhook_app", "inbound_id"]

log = logging.getLogger(__name__)
_INBOUND_NS = uuid.UUID("0b7e1a4e-2d4f-4e3c-9a57-5f1c0d2b9e61")
Publish = Callable[[Sequence[CloudEvent]], list[str]]


def inbound_id(connector: str, change_key: Any) -> str:
    """Event id of a legacy change: the same change always gives the same event id."""
    return str(uuid.uuid5(_INBOUND_NS, f"{connector}/{change_key}"))


def _base(config: ConnectorConfig) -> dict[str, Any]:
    return {"now": datetime.now(UTC), "connector": {"name": config.name, "agency": config.agency}}


def _event(config: ConnectorConfig, rule: EventRule, source: dict[str, Any]) -> CloudEvent:
    key = resolve(source, rule.key) if rule.key else None
    event_id = inbound_id(config.name, key) if key not in (None, "") else str(uuid.uuid4())
    return build_event(config, rule, source, event_id)


def _problem(status: int, kind: str, detail: str) -> JSONResponse:
    body = {"type": f"urn:thanhhoa:hub:connector:{kind}", "title": kind, "detail": detail}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def create_webhook_app(config: ConnectorConfig, hook: Webhook, publish: Publish) -> FastAPI:
    """``POST <path>`` with a JSON body -> one signed event; 202 with its id."""
    token = secret(hook.token_env, "inbound.webhook.token_env")
    app = FastAPI(title=f"connector {config.name} webhook", docs_url=None, redoc_url=None)

    @app.post(hook.path, status_code=202, response_model=None)
    async def receive(request: Request) -> JSONResponse:
        if token is not None and request.headers.get("authorization") != f"Bearer {token}":
            return _problem(401, "unauthorized", "missing or wrong bearer token")
        try:
            body = json.loads(await request.body())
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return _problem(400, "malformed-json", str(exc))
        source = {**_base(config), "body": body, "headers": dict(request.headers)}
        try:
            event = _event(config, hook.event, source)
            publish([event])
        except (MappingError, EncodeError) as exc:
            return _problem(422, "mapping-failed", str(exc))
        except PublishError as exc:
            return _problem(503, "ingress-unavailable", str(exc))
        return JSONResponse({"id": event.id, "type": event.type}, status_code=202)

    return app


class WebhookServer:
    """The webhook app under uvicorn in a background thread."""

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        self._server = uvicorn.Server(
            uvicorn.Config(app, host=host, port=port, log_level="warning")
        )
        self._thread = threading.Thread(target=self._server.run, name="webhook", daemon=True)

    def start(self, timeout_s: float = 10.0) -> WebhookServer:
        self._thread.start()
        deadline = threading.Event()
        for _ in range(int(timeout_s * 20)):
            if self._server.started:
                return self
            deadline.wait(0.05)
        raise ConnectorError("the webhook server did not start")

    @property
    def port(self) -> int:
        """The bound port (useful with port 0)."""
        servers = getattr(self._server, "servers", [])
        return int(servers[0].sockets[0].getsockname()[1])

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


class Poller:
    """Asks the legacy system for changes after the cursor, every ``interval_s``."""

    def __init__(
        self,
        config: ConnectorConfig,
        settings: HubSettings,
        publish: Publish,
        *,
        stop: threading.Event | None = None,
    ) -> None:
        if config.inbound is None or config.inbound.poll is None:
            raise ValueError(f"connector {config.name} has no poller")
        self.config, self.poll = config, config.inbound.poll
        self.settings, self.publish = settings, publish
        self.stop = stop or threading.Event()
        self.cursors = StateLog(settings, state_topic(settings, config.name, "cursor"))
        self.cursor: Any = self.poll.initial_cursor
        self.request = config.mapping(self.poll.request)
        self._target = open_target(self.poll.target)
        self._producer: KafkaProducer | None = None

    def start(self) -> Poller:
        saved = self.cursors.load().get("cursor")
        if saved is not None:
            self.cursor = json.loads(saved)
        self._producer = KafkaProducer(**self.settings.kafka_client_config(), acks="all")
        log.info("poller %s starts after cursor %r", self.config.name, self.cursor)
        return self

    def poll_once(self) -> int:
        """One page: publish its events, then move the cursor. Returns the events published."""
        poll: Poll = self.poll
        source = {**_base(self.config), "cursor": self.cursor}
        request = self.request.apply(source)
        answer = self._target.send(request, source, inbound_id(self.config.name, self.cursor))
        items = resolve({"response": answer}, poll.items)
        if not isinstance(items, list):
            items = [] if not isinstance(items, Mapping) else [items]
        events, last = [], self.cursor
        for item in items:
            item_source = {**_base(self.config), "item": item}
            position = resolve(item_source, poll.cursor)
            try:
                events.append(_event(self.config, poll.event, item_source))
            except MappingError as exc:
                self._dead_letter(item, str(exc))
            if isinstance(position, (str, int)):
                last = position
        if events:
            self.publish(events)
        if last != self.cursor:
            self.cursors.put("cursor", json.dumps(last).encode())
            self.cursor = last
        return len(events)

    def _dead_letter(self, item: Any, detail: str) -> None:
        assert self._producer is not None
        value = json.dumps(item, default=str, ensure_ascii=False).encode()
        headers = (("content-type", b"application/json"),)
        stage = f"connector:{self.config.name}:inbound"
        record = reject(
            KafkaMessage(None, value, headers), Rejection("mapping-failed", detail, stage)
        )
        topic = TopicNames(self.settings.topic_prefix).deadletter
        self._producer.send(topic, value=record.value, headers=record.header_list()).get(30)
        log.warning("inbound change dead-lettered: %s", detail)

    def run(self) -> None:
        """Poll until ``stop``; failures are logged and retried at the next interval."""
        self.start()
        try:
            while not self.stop.is_set():
                try:
                    self.poll_once()
                except (DeliveryError, MappingError, PublishError, EncodeError) as exc:
                    log.warning("poll of %s failed: %s", self.config.name, exc)
                self.stop.wait(self.poll.interval_s)
        finally:
            self.close()

    def close(self) -> None:
        self._target.close()
        self.cursors.close()
        if self._producer is not None:
            self._producer.close(timeout=5)
