"""Run one peer or all of them as a process until SIGTERM or SIGINT.

``python -m connectors.peers civil-status --port 0`` prints one JSON line on stdout,
``{"civil-status": {"url": ..., "admin_url": ..., "wsdl_url": ...}}``, once every peer
accepts connections. With ``all``, ``--port P`` (P > 0) gives the peers P, P+1, ... in
the order civil-status, population, payment, postal, portal, sms, push.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from connectors.peers import PEERS, Mode, Peer, create_peer


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m connectors.peers", description=__doc__)
    parser.add_argument("peer", choices=[*PEERS, "all"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = any free port")
    parser.add_argument("--mode", choices=[m.value for m in Mode], default=Mode.OK.value)
    parser.add_argument("--delay", type=float, default=0.5, help="seconds, for --mode slow")
    parser.add_argument("--dedupe", action="store_true", help="deduplicate by idempotency key")
    parser.add_argument("--username", help="civil-status/population: WS-Security user")
    parser.add_argument("--password", help="civil-status/population: WS-Security password")
    parser.add_argument("--secret", help="payment: checksum shared secret")
    parser.add_argument("--postal-token", help="postal: value of the Token header")
    parser.add_argument("--portal-token", help="portal: bearer token")
    parser.add_argument("--portal-username", help="portal: HTTP basic user (not with a token)")
    parser.add_argument("--portal-password", help="portal: HTTP basic password")
    parser.add_argument("--sms-key", help="sms: value of the ApiKey header")
    parser.add_argument("--push-token", help="push: bearer token")
    return parser


def _options(name: str, args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {"dedupe": args.dedupe, "host": args.host}
    if name in ("civil-status", "population") and args.username:
        options.update(username=args.username, password=args.password or "")
    if name == "payment" and args.secret:
        options["secret"] = args.secret
    if name == "postal" and args.postal_token:
        options["token"] = args.postal_token
    if name == "portal" and args.portal_token:
        options["token"] = args.portal_token
    if name == "portal" and args.portal_username:
        options.update(username=args.portal_username, password=args.portal_password or "")
    if name == "sms" and args.sms_key:
        options["api_key"] = args.sms_key
    if name == "push" and args.push_token:
        options["token"] = args.push_token
    return options


def build_peers(args: argparse.Namespace) -> list[Peer]:
    names = list(PEERS) if args.peer == "all" else [args.peer]
    peers = []
    for offset, name in enumerate(names):
        port = args.port + offset if args.port else 0
        peer = create_peer(name, port=port, **_options(name, args))
        peer.set_mode(args.mode, delay=args.delay)
        peers.append(peer)
    return peers


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    peers = build_peers(args)
    try:
        for peer in peers:
            peer.start()
        print(json.dumps({p.name: p.describe() for p in peers}), flush=True)
        stop.wait()
    finally:
        for peer in peers:
            peer.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
