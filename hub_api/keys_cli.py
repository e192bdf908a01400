"""``hub keys generate|rotate|revoke``: agency signing keys, registered in ``hub.registry``."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hub_api._cli_common import passphrase, registry_store, say
from hub_settings import load_settings
from registry.errors import RegistryError
from registry.keys import generate_agency_key, revoke_agency_key
from security import SecurityError


def _run(args: argparse.Namespace) -> int:
    settings = load_settings()
    now = datetime.now(UTC)
    try:
        with registry_store(settings) as store:
            if args.action == "revoke":
                if not args.key_id:
                    say("error: revoke needs --key-id (see `hub registry show agency ID`)")
                    return 2
                when = datetime.fromisoformat(args.at) if args.at else None
                key = revoke_agency_key(store, args.agency, args.key_id, now=now, effective=when)
                say(f"Revoked {key.key_id} as of {key.revoked_at}")
                return 0
            overlap = timedelta(
                seconds=settings.security.key_rotation_overlap_s if args.action == "rotate" else 0
            )
            keys_dir = args.keys_dir or settings.security.keys_dir
            secret = passphrase(settings)
            path, key = generate_agency_key(
                store, args.agency, keys_dir, secret, now=now, overlap=overlap
            )
    except (RegistryError, SecurityError, ValueError) as exc:
        say(f"error: {exc}")
        return 2
    say(f"Private key written to {path} (mode 0600; keep it with the agency, never send it)")
    print(key.key_id)
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("keys", help="generate, rotate or revoke an agency's signing key")
    parser.add_argument("action", choices=("generate", "rotate", "revoke"))
    parser.add_argument("--agency", required=True, help="agency id, e.g. 000.00.06.H56")
    parser.add_argument("--key-id", help="with revoke: the key to revoke")
    parser.add_argument("--at", help="with revoke: ISO time the revocation takes effect")
    parser.add_argument("--keys-dir", type=Path, help="where to write")
    parser.set_defaults(handler=_run)
