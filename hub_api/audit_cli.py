"""``hub audit verify``: re-read ``hub.audit`` and prove the hash chain intact."""

from __future__ import annotations

import argparse
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hub_api._cli_common import registry_store, say
from hub_settings import HubSettings, load_settings
from registry.store import RegistryKeys
from streams.audit_chain import ChainReport, verify_chain
from streams.audit_log import read_audit


def checkpoint_verifier(keys: RegistryKeys, hub_agency: str) -> Any:
    """Checks a checkpoint signature against the hub agency's registered keys."""

    def verify(key_id: str, signed: bytes, signature: bytes) -> bool:
        info = keys.get(key_id)
        if info is None or info.agency_id != hub_agency:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(info.public_key).verify(signature, signed)
        except InvalidSignature:
            return False
        return True

    return verify


def verify_audit(settings: HubSettings) -> ChainReport:
    with registry_store(settings) as store:
        verify = checkpoint_verifier(store.keys(), settings.agency_id)
        return verify_chain(read_audit(settings), verify)


def _run(args: argparse.Namespace) -> int:
    report = verify_audit(load_settings())
    print(report.summary())
    if report.outcomes:
        say(
            "entries by outcome: "
            + ", ".join(f"{k} {v}" for k, v in sorted(report.outcomes.items()))
        )
    return 0 if report.intact else 1


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("audit", help="verify the hash-chained audit log")
    parser.add_argument("action", choices=("verify",))
    parser.set_defaults(handler=_run)
