"""``hub dev``: the whole hub on one machine with demo agencies and traffic (``make run``).

Starts the local Kafka broker (unless ``HUB_KAFKA_BOOTSTRAP`` names a cluster), registers
the event schemas, applies the Thanh Hóa catalog, makes the hub's key and demo agency keys
on first use, then runs a stream worker, the API, the fake legacy systems (peers) and
their connectors as child processes, plays citizen traffic and prints a summary.
Ctrl-C (or SIGTERM) stops the children; the broker keeps running (``hub kafka stop``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from hub_api._cli_common import say
from hub_api.demo_traffic import DossierScript, plan_dossiers, signing_agencies
from hub_api.dev_keys import ApiAccess, DemoKeys, api_access, demo_keys, hub_key
from hub_api.dev_report import collect_report, format_report
from hub_api.dev_stack import (
    CONNECTOR_AGENCIES,
    Children,
    PeerSecrets,
    connector_env,
    start_peers,
    write_connector_configs,
)
from hub_api.dev_traffic import DossierApi, Progress, Tally, play
from hub_api.localkafka import LocalKafka, LocalKafkaError
from hub_api.schemas_cli import register_all
from hub_settings import HubSettings, load_settings
from registry.catalog_loader import load_catalog
from registry.dossier_sequence import DossierCodeAllocator
from registry.schema_store import SchemaStore
from registry.store import RegistryStore
from schemas import EventCodec
from security import Signer, load_signer

__all__ = ["add_commands", "prepare"]


@dataclass(frozen=True)
class Prepared:
    """What the children need: their environment, keys, API access and the traffic plan."""

    env: dict[str, str]
    keys: DemoKeys
    access: ApiAccess
    scripts: list[DossierScript]


def prepare(settings: HubSettings, dossiers: int = 0, seed: int | None = None) -> Prepared:
    """Broker, schemas, catalog, keys and the traffic plan (codes allocated in Kafka)."""
    if not settings.kafka.external:
        LocalKafka(settings.local_kafka, progress=say).start()
    say("Registering event schemas …")
    fresh = [r for r in register_all(settings) if r.created]
    say(f"{len(fresh)} new schema versions")
    with RegistryStore(settings) as store:
        catalog = load_catalog()
        changes = store.apply(catalog)
        say(f"Catalog applied: {len(changes)} entries changed in {store.topic}")
        key_file, passphrase = hub_key(settings, store)
        scripts: list[DossierScript] = []
        if dossiers:
            with DossierCodeAllocator(settings) as codes:
                scripts = plan_dossiers(catalog, dossiers, codes.next_code, seed=seed)
        keys = demo_keys(
            settings, store, {*signing_agencies(scripts), *CONNECTOR_AGENCIES.values()}
        )
    access = api_access(settings)
    env = {
        "HUB_KAFKA_BOOTSTRAP": settings.bootstrap,
        "HUB_SIGNING_KEY_FILE": str(key_file),
        "HUB_SIGNING_KEY_PASSPHRASE": passphrase,
        "HUB_API_CREDENTIALS_FILE": str(access.credentials_file),
        "HUB_API_LOOKUP_SECRET": access.lookup_secret,
    }
    # The demo polls the API and wants overdue dossiers flagged quickly (unless set).
    defaults = {
        "HUB_API_RATE_PER_S": "200",
        "HUB_API_RATE_BURST": "400",
        "HUB_STREAMS_OVERDUE_SCAN_INTERVAL_S": "5",
    }
    env.update({k: v for k, v in defaults.items() if k not in os.environ})
    return Prepared(env, keys, access, scripts)


def _start(
    settings: HubSettings,
    prepared: Prepared,
    children: Children,
    peers_port: int,
    metrics_port: int,
) -> dict[str, dict[str, str]]:
    env = {**os.environ, **prepared.env, "PYTHONUNBUFFERED": "1"}
    secrets = PeerSecrets()
    peers = start_peers(children, peers_port, secrets, env)
    cli = [sys.executable, "-m", "hub_api.cli"]
    children.start("worker", [*cli, "worker"], env)
    children.start("api", [*cli, "api"], env)
    dev_home = settings.streams.data_dir.parent / "dev"
    configs = write_connector_configs(
        dev_home / "connectors",
        peers,
        settings.topic_prefix,
        prepared.keys.files,
        metrics_port,
    )
    connector_vars = {**env, **connector_env(secrets, prepared.keys.passphrase)}
    for name, path in configs.items():
        argv = [sys.executable, "-m", "connectors.cli", "connector", "run", str(path)]
        children.start(f"connector-{name}", argv, connector_vars)
    return peers


def _urls(settings: HubSettings) -> dict[str, str]:
    base = f"http://{settings.api.host}:{settings.api.port}"
    return {
        "API docs": f"{base}/docs",
        "citizen page": f"{base}/citizen/",
        "metrics": f"{base}/metrics",
        "schemas": f"{base}/schema-registry/subjects",
        "Kafka": settings.bootstrap,
    }


def _signers(prepared: Prepared, agencies: set[str]) -> dict[str, Signer]:
    keys = prepared.keys
    return {
        a: load_signer(keys.files[a], keys.passphrase.encode(), a, keys.key_ids[a])
        for a in agencies
    }


def _traffic(
    args: argparse.Namespace,
    settings: HubSettings,
    prepared: Prepared,
    children: Children,
    peers: dict[str, dict[str, str]],
    stop: threading.Event,
) -> None:
    api = DossierApi(f"http://{settings.api.host}:{settings.api.port}", prepared.access.api_key)
    deadline = time.monotonic() + 90
    while not api.ready() and time.monotonic() < deadline and not stop.is_set():
        time.sleep(0.5)
    if not children.wait_for_log("worker", "Worker ready", 120):
        say(f"the worker is not ready yet; traffic waits in hub.ingress\n{children.tail('worker')}")
    scripts = prepared.scripts
    say(f"\nPlaying {len(scripts)} dossiers at {args.rate:g} events/s …")
    schema_store = SchemaStore(settings, topic=settings.schemas_topic)
    tally = Tally(settings)
    try:
        schema_store.start()
        result = play(
            scripts,
            settings=settings,
            codec=EventCodec(schema_store),
            signers=_signers(prepared, signing_agencies(scripts)),
            api=api,
            rate=args.rate,
            stop=stop,
            progress=Progress(sum(1 for s in scripts for st in s.steps if st.record)),
        )
        if stop.is_set():
            return
        say("Traffic sent; waiting for the hub to settle …")
        report = collect_report(scripts, result, tally, api, peers, _urls(settings), stop)
    finally:
        tally.close()
        schema_store.stop()
        api.close()
    print(format_report(report), flush=True)
    if args.summary_json:
        Path(args.summary_json).write_text(json.dumps(report, indent=2, ensure_ascii=False))


def _on_term(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _run(args: argparse.Namespace) -> int:
    settings = load_settings()
    signal.signal(signal.SIGTERM, _on_term)
    count = 0 if args.no_traffic else args.dossiers
    try:
        prepared = prepare(settings, count, args.seed)
    except LocalKafkaError as exc:
        say(f"error: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        say("stopped before the hub started")
        return 130
    children = Children(settings.streams.data_dir.parent / "dev" / "logs")
    stop = threading.Event()
    code = 0
    try:
        peers = _start(settings, prepared, children, args.peers_port, args.connector_metrics_port)
        urls = "\n".join(f"  {name:<13}{url}" for name, url in _urls(settings).items())
        peer_lines = "\n".join(f"  {name:<13}{p['url']}" for name, p in peers.items())
        say(
            f"\nThe hub is starting.\n{urls}\nFake legacy systems:\n{peer_lines}\n"
            f"Logs in {children.log_dir}. Ctrl-C stops everything."
        )
        if count:
            _traffic(args, settings, prepared, children, peers, stop)
        if not args.exit_when_done:
            while not children.exited():
                time.sleep(0.5)
            say(f"{children.exited()[0]} exited; stopping the others")
            code = 1
    except KeyboardInterrupt:
        stop.set()
        say("\nstopping …")
    except RuntimeError as exc:
        say(f"error: {exc}")
        code = 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        children.stop()
    return code


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "dev", help="run Kafka, the hub, fake legacy systems and demo traffic locally (make run)"
    )
    parser.add_argument("--dossiers", type=int, default=60, help="dossiers to play (default 60)")
    parser.add_argument("--rate", type=float, default=20.0, help="events per second (default 20)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the traffic mix")
    parser.add_argument("--no-traffic", action="store_true", help="only run the stack")
    parser.add_argument(
        "--exit-when-done", action="store_true", help="stop everything after the summary"
    )
    parser.add_argument(
        "--peers-port",
        type=int,
        default=8101,
        help="first port of the fake peers (7 in a row; 0 = any free ports)",
    )
    parser.add_argument(
        "--connector-metrics-port",
        type=int,
        default=9110,
        help="first port of the connectors' /metrics (one each; 0 = none)",
    )
    parser.add_argument("--summary-json", help="also write the summary as JSON to this file")
    parser.set_defaults(handler=_run)
