"""Small helpers shared by the ``hub`` sub-commands."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from hub_settings import HubSettings, load_settings
from registry.store import RegistryStore


def say(message: str) -> None:
    """Progress and errors go to stderr; results to stdout."""
    print(message, file=sys.stderr, flush=True)


@contextmanager
def registry_store(settings: HubSettings | None = None) -> Iterator[RegistryStore]:
    """A started registry view of the configured cluster."""
    store = RegistryStore(settings or load_settings())
    say(f"Reading {store.topic} …")
    with store:
        yield store


def passphrase(settings: HubSettings, confirm: bool = True) -> bytes:
    """The key passphrase from HUB_SECURITY_KEY_PASSPHRASE, or asked on the terminal."""
    configured = settings.security.key_passphrase
    if configured is not None:
        return configured.get_secret_value().encode()
    first = getpass.getpass("Passphrase for the private key: ")
    if confirm and getpass.getpass("Repeat it: ") != first:
        raise SystemExit("error: the passphrases differ")
    if not first:
        raise SystemExit("error: an empty passphrase is not allowed")
    return first.encode()
