"""Fixtures of the fault suite: a private hub pipeline per scenario (its workers may be
killed without disturbing other tests), a connector child process, a private broker."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.peers import PortalPeer
from hub_api.localkafka import LocalKafka
from hub_settings import HubSettings, KafkaSettings, LocalKafkaSettings
from tests.faults.checker import STATUS_CHANGED, PeerCheck
from tests.support.pipeline import HUB, PASSPHRASE, Pipeline, build_pipeline, settings_env
from tests.support.processes import ChildProcess, python_module

PipelineFactory = Callable[..., Pipeline]


@pytest.fixture
def fault_pipeline(tmp_path: Path) -> Iterator[PipelineFactory]:
    """``fault_pipeline(settings)``: an isolated hub (no worker yet), closed after the test."""
    built: list[Pipeline] = []

    def make(settings: HubSettings) -> Pipeline:
        workdir = tmp_path / f"hub{len(built)}"
        workdir.mkdir()
        pipe = build_pipeline(settings, workdir)
        built.append(pipe)
        return pipe

    yield make
    for pipe in built:
        pipe.close()  # also drops its topics


def hub_key_file(pipe: Pipeline) -> Path:
    """The hub agency's private key file that ``build_pipeline`` generated."""
    path = pipe.settings.signing_key_file
    assert path is not None
    return path


def portal_connector_config(
    pipe: Pipeline,
    peer_url: str,
    inbox: str,
    name: str,
    *,
    timeout_s: float = 1.0,
    **outbound: Any,
) -> dict[str, Any]:
    """A status-sync connector (the national portal's REST API) reading ``inbox``."""
    out: dict[str, Any] = {
        "source": inbox,
        "events": ["vn.gov.thanhhoa.dossier.status_changed"],
        "target": {
            "kind": "rest",
            "url": f"{peer_url}/api/v1/dossiers/status",
            "success": {"field": "error_code", "values": ["0"], "transient_values": ["99"]},
            "timeout_s": timeout_s,
        },
        "request": {
            "agencyCode": "data.agency_id",
            "dossierCode": "data.dossier_code",
            "procedureCode": "data.procedure_code",
            "status": "data.status | str",
            "receivedAt": "event.time | datetime:yyyyMMddHHmmss",
            "finishedAt": {"path": "data.changed_at", "transforms": ["datetime:yyyyMMddHHmmss"]},
        },
        "peer_dedupes": True,
        "retry": {"attempts": 4, "initial_s": 0.05, "max_s": 0.3, "jitter_s": 0.05},
        "breaker": {"failures": 3, "open_s": 0.3, "max_open_s": 1.0},
        **outbound,
    }
    return {
        "name": name,
        "agency": HUB,
        "key": {"file": str(hub_key_file(pipe)), "passphrase_env": "TEST_FAULT_KEY_PASSPHRASE"},
        "outbound": out,
    }


def plain_portal_config(pipe: Pipeline, peer_url: str, inbox: str, name: str) -> dict[str, Any]:
    """The status-sync connector in front of a portal that does not deduplicate
    (``peer_dedupes: false``): the connector's own ledger of event ids is all that keeps a
    redelivered inbox copy from taking effect twice. The timeout is generous (10 s) so that
    a slow answer on a loaded machine is not dead-lettered as in doubt."""
    return portal_connector_config(pipe, peer_url, inbox, name, timeout_s=10.0, peer_dedupes=False)


SKIPPED = "already delivered; not sending it again"  # the connector's line for a ledger hit


class Connector:
    """``python -m connectors.cli connector run FILE`` as a child process, restartable."""

    def __init__(self, pipe: Pipeline, config: dict[str, Any]) -> None:
        self.pipe = pipe
        self.file = pipe.workdir / f"{config['name']}.yaml"
        self.file.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
        self.env = {
            **settings_env(pipe.settings),
            "TEST_FAULT_KEY_PASSPHRASE": PASSPHRASE.decode(),
        }
        self.runs: list[ChildProcess] = []

    def start(self) -> ChildProcess:
        argv = python_module("connectors.cli", "connector", "run", str(self.file))
        name = f"connector-{len(self.runs) + 1}"
        child = ChildProcess(name, argv, self.env, self.pipe.workdir).start()
        self.runs.append(child)
        self.pipe.workers.append(child)  # its log tail shows up in the checker's failures
        child.wait_for("consuming", timeout_s=90)
        return child

    def stop(self) -> None:
        for child in self.runs:
            child.stop()

    def skipped(self) -> int:
        """Inbox records every run recognised from its ledger as already delivered."""
        return sum(child.log().count(SKIPPED) for child in self.runs)

    def alive(self) -> bool:
        """Whether the latest run is still running."""
        proc = self.runs[-1].proc if self.runs else None
        return proc is not None and proc.poll() is None


@pytest.fixture
def connectors() -> Iterator[list[Connector]]:
    """Connectors started by a test are stopped after it."""
    started: list[Connector] = []
    yield started
    for connector in started:
        with contextlib.suppress(Exception):
            connector.stop()


def free_ports(count: int) -> list[int]:
    """``count`` distinct free TCP ports on 127.0.0.1 (bound, then released)."""
    sockets, ports = [], []
    for _ in range(count):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
        ports.append(sock.getsockname()[1])
    for sock in sockets:
        sock.close()
    return ports


@pytest.fixture
def private_broker(
    settings: HubSettings, tmp_path: Path
) -> Iterator[tuple[LocalKafka, HubSettings]]:
    """A second local broker on free ports (the session broker is shared: never stopped),
    and settings of a hub pointed at it. Stopped (killed if need be) after the test."""
    port, controller, secure = free_ports(3)
    local = LocalKafkaSettings(
        port=port,
        controller_port=controller,
        secure_port=secure,
        home=tmp_path / "kafka",
        cache_dir=settings.local_kafka.cache_dir,
        heap_mb=256,
    )
    broker = LocalKafka(local)
    broker.start()
    kafka = KafkaSettings(**{**settings.kafka.model_dump(), "bootstrap": local.bootstrap})
    try:
        yield broker, settings.model_copy(update={"kafka": kafka, "local_kafka": local})
    finally:
        try:
            broker.stop(timeout_s=20)
        finally:
            broker.kill()


def watched_status_sync(
    pipe: Pipeline, peer: PortalPeer, inbox: str, name: str, connectors: list[Connector]
) -> tuple[Connector, PeerCheck]:
    """Start a status-sync connector in front of ``peer`` (which does not deduplicate); it
    and the check of what reached the peer: once each, in order, every repeated inbox copy
    stopped by the connector's ledger, the connector running throughout."""
    connector = Connector(pipe, plain_portal_config(pipe, peer.url, inbox, name))
    connectors.append(connector)
    connector.start()
    check = PeerCheck(
        name,
        inbox,
        (STATUS_CHANGED,),
        peer.log,
        skipped=connector.skipped,
        running=connector.alive,
    )
    return connector, check
