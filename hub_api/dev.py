"""``hub dev``: the whole hub on one machine, for development (``make run``).

Starts the local Kafka broker (unless ``HUB_KAFKA_BOOTSTRAP`` names a cluster), registers
the event schemas, applies the Thanh Hóa catalog, makes the hub's own signing key on first
use, then runs a stream worker and the API as child processes and prints where to look.
Ctrl-C stops the children; the broker keeps running (``hub kafka stop``).
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from hub_api._cli_common import say
from hub_api.localkafka import LocalKafka, LocalKafkaError
from hub_api.schemas_cli import register_all
from hub_settings import HubSettings, load_settings
from registry.catalog_loader import load_catalog
from registry.keys import generate_agency_key
from registry.store import RegistryStore


def _hub_key(settings: HubSettings, store: RegistryStore) -> tuple[Path, str]:
    """The hub's dev signing key (file, passphrase), made and registered on first use."""
    home = settings.security.keys_dir / "dev-hub"
    secret_file, pointer = home / "passphrase", home / "key-path"
    if pointer.exists() and Path(pointer.read_text()).exists():
        return Path(pointer.read_text()), secret_file.read_text()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    passphrase = secrets.token_urlsafe(24)
    fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(passphrase)
    path, key = generate_agency_key(
        store, settings.agency_id, home, passphrase.encode(), now=datetime.now(UTC)
    )
    pointer.write_text(str(path))
    say(f"Generated the hub's signing key {key.key_id} (dev only) in {home}")
    return path, passphrase


def prepare(settings: HubSettings) -> dict[str, str]:
    """Broker, schemas, catalog and hub key; the environment for the child processes."""
    if not settings.kafka.external:
        LocalKafka(settings.local_kafka, progress=say).start()
    say("Registering event schemas …")
    fresh = [r for r in register_all(settings) if r.created]
    say(f"{len(fresh)} new schema versions")
    with RegistryStore(settings) as store:
        changes = store.apply(load_catalog())
        say(f"Catalog applied: {len(changes)} entries changed in {store.topic}")
        key_file, passphrase = _hub_key(settings, store)
    return {
        "HUB_KAFKA_BOOTSTRAP": settings.bootstrap,
        "HUB_SIGNING_KEY_FILE": str(key_file),
        "HUB_SIGNING_KEY_PASSPHRASE": passphrase,
    }


def _run(_: argparse.Namespace) -> int:
    settings = load_settings()
    try:
        env = {**os.environ, **prepare(settings)}
    except LocalKafkaError as exc:
        say(f"error: {exc}")
        return exc.exit_code
    cli = [sys.executable, "-m", "hub_api.cli"]
    children = [
        subprocess.Popen([*cli, "worker"], env=env),  # noqa: S603
        subprocess.Popen([*cli, "api"], env=env),  # noqa: S603
    ]
    base = f"http://{settings.api.host}:{settings.api.port}"
    say(
        f"\nThe hub is starting.\n  API docs     {base}/docs\n  citizen page {base}/citizen/\n"
        f"  metrics      {base}/metrics\n  schemas      {base}/schema-registry/subjects\n"
        f"  Kafka        {settings.bootstrap}\nCtrl-C stops the worker and the API."
    )
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        say("a hub process exited; stopping the others")
    except KeyboardInterrupt:
        say("stopping …")
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("dev", help="run Kafka, a worker and the API locally (make run)")
    parser.set_defaults(handler=_run)
