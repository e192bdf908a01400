"""The child processes of ``hub dev``: fake legacy systems (peers) and their connectors.

The peers (``python -m connectors.peers all``) really serve SOAP and REST on 127.0.0.1;
each connector is a ``python -m connectors.cli connector run FILE`` process whose config
is written from ``connectors/examples`` with the peers' addresses, the topic prefix and a
demo key of the agency it acts for. Children log to files; ``Children.stop`` ends them
with SIGTERM, then SIGKILL after a timeout.
"""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import yaml

import connectors
from hub_api.demo_traffic import CIVIL_STATUS_WARD, ONE_STOP, PORTAL
from schemas.topics import TopicNames

__all__ = [
    "CONNECTOR_AGENCIES",
    "Children",
    "PeerSecrets",
    "connector_env",
    "start_peers",
    "write_connector_configs",
]

EXAMPLES = Path(connectors.__file__).parent / "examples"
_EXAMPLE_PORTS = {
    "civil-status": 8101,
    "population": 8102,
    "payment": 8103,
    "postal": 8104,
    "portal": 8105,
}
JUSTICE = "000.00.06.H56"
CONNECTOR_AGENCIES: Mapping[str, str] = {
    "civil-status": CIVIL_STATUS_WARD,  # the ward's hộ tịch registry, from the ward's inbox
    "population": JUSTICE,  # identity checks of the Justice department's dossiers
    "payment": ONE_STOP,  # the one-stop center collects fees
    "postal": PORTAL,  # the provincial portal sends results by post
    "portal": PORTAL,  # and syncs statuses to the national portal
}
"""Example file -> the agency its dev connector acts for (and signs as)."""
_SOURCES = {"payment": "payment", "postal": "dossier", "portal": "dossier"}
"""Connectors that read an accepted-events topic (``hub.events.<domain>``), not an inbox."""


@dataclass(frozen=True)
class PeerSecrets:
    """Credentials the peers expect and the connectors send (dev values, not secrets)."""

    username: str = "quangphu"
    password: str = "dev-civil-password"  # noqa: S105
    payment_secret: str = "dev-payment-secret"  # noqa: S105
    postal_token: str = "dev-postal-token"  # noqa: S105
    portal_token: str = "dev-portal-token"  # noqa: S105


class Children:
    """Child processes started by ``hub dev``, each logging to ``<log dir>/<name>.log``."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(
        self, name: str, argv: Sequence[str], env: Mapping[str, str], *, pipe_stdout: bool = False
    ) -> subprocess.Popen[bytes]:
        with (self.log_dir / f"{name}.log").open("ab") as log:
            proc = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
                list(argv),
                env=dict(env),
                stdout=subprocess.PIPE if pipe_stdout else log,
                stderr=log,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C reaches us; we stop the children in order
            )
        self.procs[name] = proc
        return proc

    def exited(self) -> list[str]:
        return [name for name, proc in self.procs.items() if proc.poll() is not None]

    def log_text(self, name: str) -> str:
        try:
            return (self.log_dir / f"{name}.log").read_text(errors="replace")
        except OSError:
            return ""

    def tail(self, name: str, lines: int = 15) -> str:
        return "\n".join(self.log_text(name).splitlines()[-lines:])

    def wait_for_log(self, name: str, text: str, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if text in self.log_text(name):
                return True
            if self.procs[name].poll() is not None:
                return False
            time.sleep(0.3)
        return False

    def stop(self, timeout_s: float = 20.0) -> None:
        """SIGTERM to every child (newest first), then SIGKILL whoever outlives the timeout."""
        alive = [p for p in reversed(self.procs.values()) if p.poll() is None]
        for proc in alive:
            proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for proc in alive:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for proc in self.procs.values():
            if proc.stdout is not None:
                proc.stdout.close()


def _first_line(stream: IO[bytes], proc: subprocess.Popen[bytes], timeout_s: float) -> bytes:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        readable, _, _ = select.select([stream], [], [], 0.3)
        if readable:
            return stream.readline()
    return b""


def start_peers(
    children: Children, port: int, secrets: PeerSecrets, env: Mapping[str, str]
) -> dict[str, dict[str, str]]:
    """Start every fake legacy system in one process; their URLs by peer name."""
    argv = [
        sys.executable,
        "-m",
        "connectors.peers",
        "all",
        "--port",
        str(port),
        "--username",
        secrets.username,
        "--password",
        secrets.password,
        "--secret",
        secrets.payment_secret,
        "--postal-token",
        secrets.postal_token,
        "--portal-token",
        secrets.portal_token,
    ]
    proc = children.start("peers", argv, env, pipe_stdout=True)
    assert proc.stdout is not None
    line = _first_line(proc.stdout, proc, 30.0)
    if not line:
        raise RuntimeError(f"the peers did not start:\n{children.tail('peers')}")
    described: dict[str, dict[str, str]] = json.loads(line)
    return described


def _config(
    name: str,
    text: str,
    peers: Mapping[str, Mapping[str, str]],
    prefix: str,
    key_file: Path,
    metrics_port: int,
) -> dict[str, Any]:
    for peer, example_port in _EXAMPLE_PORTS.items():
        text = text.replace(f"http://127.0.0.1:{example_port}", peers[peer]["url"])
    raw: dict[str, Any] = yaml.safe_load(text)
    raw["name"] = f"dev-{raw['name']}"
    raw["agency"] = CONNECTOR_AGENCIES[name]
    raw["key"] = {"file": str(key_file), "passphrase_env": "HUB_CONNECTOR_KEY_PASSPHRASE"}
    raw["metrics"] = {"host": "127.0.0.1", "port": metrics_port}
    outbound = raw["outbound"]
    if name in _SOURCES:
        outbound["source"] = TopicNames(prefix).events(_SOURCES[name])
    if name == "civil-status":
        raw.pop("inbound", None)  # its change feed repeats the replies' status changes
    if name == "population":
        outbound["target"].update(
            username=PeerSecrets.username,
            password_env="CIVIL_STATUS_PASSWORD",  # noqa: S106 - a variable name
        )
    return raw


def write_connector_configs(
    directory: Path,
    peers: Mapping[str, Mapping[str, str]],
    prefix: str,
    keys: Mapping[str, Path],
    metrics_port: int,
) -> dict[str, Path]:
    """One dev config per peer, written from the example of the same name; connector i
    serves its metrics on ``metrics_port + i`` (0: none)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = {}
    for index, (name, agency) in enumerate(CONNECTOR_AGENCIES.items()):
        text = (EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8")
        port = metrics_port + index if metrics_port else 0
        raw = _config(name, text, peers, prefix, keys[agency], port)
        path = directory / f"{name}.yaml"
        path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
        written[name] = path
    return written


def connector_env(secrets: PeerSecrets, key_passphrase: str) -> dict[str, str]:
    """The environment variables the dev connector configs name."""
    return {
        "HUB_CONNECTOR_KEY_PASSPHRASE": key_passphrase,
        "CIVIL_STATUS_PASSWORD": secrets.password,
        "PAYMENT_SECRET": secrets.payment_secret,
        "POSTAL_TOKEN": secrets.postal_token,
        "PORTAL_TOKEN": secrets.portal_token,
    }
