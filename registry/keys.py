"""Agency keys in the registry: generate, rotate and revoke, written to ``hub.registry``.

The private key goes to a file (encrypted PKCS#8, mode 0600) and never to the hub; only
the public key, its id, validity window and status are registered.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from registry._key_records import to_agency_key as _to_key
from registry._key_records import to_public_key_info as _to_info
from registry.model import AgencyKey
from registry.store import RegistryStore
from security import generate_key_pair, revoke, rotate, write_private_key

__all__ = ["generate_agency_key", "key_file_path", "revoke_agency_key"]


def key_file_path(keys_dir: Path, key_id: str) -> Path:
    """Where a private key is kept: ``<keys dir>/<agency>/<fingerprint>.pem``."""
    agency, _, fingerprint = key_id.partition(":")
    return keys_dir / agency / f"{fingerprint or agency}.pem"


def generate_agency_key(
    store: RegistryStore,
    agency_id: str,
    keys_dir: Path,
    passphrase: bytes,
    *,
    now: datetime,
    overlap: timedelta = timedelta(0),
) -> tuple[Path, AgencyKey]:
    """Make a new active key for ``agency_id``; earlier active keys start retiring.

    With ``overlap`` zero this is a first key; ``hub keys rotate`` passes the configured
    overlap so events signed with the old key in flight still verify.
    """
    agency = store.catalog().agency(agency_id)
    private, info = generate_key_pair(agency_id, now=now)
    path = key_file_path(keys_dir, info.key_id)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_private_key(path, private, passphrase)
    current = [_to_info(agency_id, key) for key in agency.keys]
    keys = rotate(current, info, now=now, overlap=overlap)
    store.put_agency(agency.model_copy(update={"keys": [_to_key(k) for k in keys]}))
    return path, _to_key(info)


def revoke_agency_key(
    store: RegistryStore, agency_id: str, key_id: str, *, now: datetime, effective: datetime | None
) -> AgencyKey:
    """Revoke one key: events signed with it at or after the revocation time are refused."""
    agency = store.catalog().agency(agency_id)
    current = [_to_info(agency_id, key) for key in agency.keys]
    keys = [_to_key(k) for k in revoke(current, key_id, now=now, effective=effective)]
    store.put_agency(agency.model_copy(update={"keys": keys}))
    return next(k for k in keys if k.key_id == key_id)
