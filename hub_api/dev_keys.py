"""Development secrets for ``hub dev``: the hub's key, demo agency keys, an API credential.

Everything is made on first use under the keys directory and reused by later runs, as
long as the registry still knows the key (a fresh broker means fresh keys). Dev only:
passphrases sit next to the keys in files readable by the owner alone.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hub_api._cli_common import say
from hub_api.auth import Credential, Role, credentials_json, new_api_key
from hub_settings import HubSettings
from registry.errors import RegistryError
from registry.keys import generate_agency_key
from registry.model import KeyStatus
from registry.store import RegistryStore

__all__ = ["ApiAccess", "DemoKeys", "api_access", "demo_keys", "hub_key"]


def _secret_file(path: Path, make: bool = True) -> str:
    """The text of a 0600 secret file, made with a random value when missing."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    if not make:
        raise FileNotFoundError(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(value)
    return value


def _registered(store: RegistryStore, agency: str, key_id: str) -> bool:
    try:
        keys = store.catalog().agency(agency).keys
    except RegistryError:  # an agency the catalog lost has no key
        return False
    return any(k.key_id == key_id and k.status is KeyStatus.ACTIVE for k in keys)


@dataclass(frozen=True)
class DemoKeys:
    """Private key files of the demo agencies, all under one dev passphrase."""

    files: dict[str, Path]
    key_ids: dict[str, str]
    passphrase: str


def demo_keys(settings: HubSettings, store: RegistryStore, agencies: Iterable[str]) -> DemoKeys:
    """A registered signing key per agency: reused when still active, else generated."""
    home = settings.security.keys_dir / "dev-demo"
    passphrase = _secret_file(home / "passphrase")
    index_file = home / "keys.json"
    index: dict[str, dict[str, str]] = (
        json.loads(index_file.read_text(encoding="utf-8")) if index_file.exists() else {}
    )
    made = []
    now = datetime.now(UTC)
    for agency in sorted(set(agencies)):
        known = index.get(agency)
        if known and Path(known["file"]).exists() and _registered(store, agency, known["id"]):
            continue
        path, key = generate_agency_key(store, agency, home, passphrase.encode(), now=now)
        index[agency] = {"file": str(path), "id": key.key_id}
        made.append(agency)
    index_file.write_text(json.dumps(index, indent=2), encoding="utf-8")
    if made:
        say(f"Generated demo signing keys (dev only) for {len(made)} agencies in {home}")
    return DemoKeys(
        {a: Path(v["file"]) for a, v in index.items()},
        {a: v["id"] for a, v in index.items()},
        passphrase,
    )


def hub_key(settings: HubSettings, store: RegistryStore) -> tuple[Path, str]:
    """The hub's dev signing key (file, passphrase), made and registered on first use."""
    home = settings.security.keys_dir / "dev-hub"
    secret_file, pointer = home / "passphrase", home / "key-path"
    if pointer.exists() and Path(pointer.read_text()).exists():
        return Path(pointer.read_text()), secret_file.read_text()
    passphrase = _secret_file(secret_file)
    path, key = generate_agency_key(
        store, settings.agency_id, home, passphrase.encode(), now=datetime.now(UTC)
    )
    pointer.write_text(str(path))
    say(f"Generated the hub's signing key {key.key_id} (dev only) in {home}")
    return path, passphrase


@dataclass(frozen=True)
class ApiAccess:
    """An operator API key for the demo, the credentials file holding its hash, and the
    secret of citizens' lookup tokens (so printed citizen links keep working)."""

    api_key: str
    credentials_file: Path
    lookup_secret: str


def api_access(settings: HubSettings) -> ApiAccess:
    """The dev operator credential and lookup secret, made on first use."""
    home = settings.security.keys_dir / "dev-api"
    key_file, credentials = home / "operator.key", home / "credentials.json"
    lookup_secret = _secret_file(home / "lookup-secret")
    if not (key_file.exists() and credentials.exists()):
        api_key, hashed = new_api_key("dev-operator")
        body = credentials_json([Credential(id="dev-operator", role=Role.OPERATOR, hash=hashed)])
        for path, text in ((credentials, body), (key_file, api_key)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(text)
    return ApiAccess(key_file.read_text(encoding="utf-8").strip(), credentials, lookup_secret)
