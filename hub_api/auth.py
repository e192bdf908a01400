"""Who is calling: API keys per agency, operator and admin roles, citizens' lookup tokens.

- An API key is ``<key id>.<secret>``, sent as ``X-API-Key`` or ``Authorization: Bearer``.
  The credentials file holds only a salted scrypt hash per key id (``hash_secret``), with
  the role and, for the agency role, the agency id. Deny by default: a route names the
  roles it admits; no credential means 401, a credential of another role 403.
- An agency sees a dossier only if it is a party to it (responsible agency, a linked
  step's agency, the receiving agency in the code, or the submitter); otherwise the
  dossier is "not found", exactly as if it did not exist.
- A citizen looks a dossier up with its code and the lookup token issued at submission
  (an HMAC of the code, so nothing is stored); a wrong token is "not found" too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import yaml
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub_api.errors import ForbiddenError, NotAuthenticatedError, RateLimitedError
from hub_api.ratelimit import TokenBuckets
from registry.lifecycle import DossierState

__all__ = [
    "AuthContext",
    "Credential",
    "CredentialStore",
    "LookupTokens",
    "Principal",
    "Role",
    "hash_secret",
    "is_party",
    "new_api_key",
    "require",
    "verify_secret",
]

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_CACHE_SIZE = 4096


class Role(StrEnum):
    """What a credential may do: publish and read its own dossiers, operate, administer."""

    AGENCY = "agency"
    OPERATOR = "operator"
    ADMIN = "admin"


class Credential(BaseModel):
    """One entry of the credentials file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$")
    role: Role
    agency: str | None = None
    hash: str = Field(pattern=r"^scrypt\$")


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller."""

    key_id: str
    role: Role
    agency: str | None = None


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, n=n, r=r, p=p, dklen=32)


def hash_secret(secret: str) -> str:
    """``scrypt$n$r$p$salt$hash`` for the credentials file."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(secret, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_secret(secret: str, encoded: str) -> bool:
    """Does ``secret`` match the stored hash (constant-time compare)?"""
    try:
        _, n, r, p, salt, digest = encoded.split("$")
        computed = _scrypt(secret, _unb64(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed, _unb64(digest))


def new_api_key(key_id: str) -> tuple[str, str]:
    """A fresh API key for ``key_id``: (the key to hand out once, the hash to store)."""
    secret = secrets.token_urlsafe(32).replace(".", "_")
    return f"{key_id}.{secret}", hash_secret(secret)


class CredentialStore:
    """The known credentials; verified keys are cached by their SHA-256 (scrypt is slow)."""

    def __init__(self, credentials: Iterable[Credential] = ()) -> None:
        self._by_id = {c.id: c for c in credentials}
        for c in self._by_id.values():
            if (c.role is Role.AGENCY) != (c.agency is not None):
                raise ValueError(f"credential {c.id}: an agency id goes with the agency role")
        self._cache: OrderedDict[bytes, Principal] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: Path | None) -> CredentialStore:
        """Read ``{credentials: [...]}`` (YAML or JSON); no file means no credentials."""
        if path is None:
            return cls()
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        try:
            return cls(Credential.model_validate(c) for c in data.get("credentials", []))
        except (ValidationError, AttributeError) as exc:
            raise ValueError(f"{path}: invalid credentials file: {exc}") from exc

    def __len__(self) -> int:
        return len(self._by_id)

    def authenticate(self, token: str) -> Principal | None:
        """The principal of an API key, or None when unknown or wrong."""
        fingerprint = hashlib.sha256(token.encode("utf-8", errors="replace")).digest()
        with self._lock:
            cached = self._cache.get(fingerprint)
            if cached is not None:
                self._cache.move_to_end(fingerprint)
                return cached
        key_id, dot, secret = token.rpartition(".")
        credential = self._by_id.get(key_id) if dot else None
        if credential is None or not verify_secret(secret, credential.hash):
            return None
        principal = Principal(credential.id, credential.role, credential.agency)
        with self._lock:
            self._cache[fingerprint] = principal
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return principal


class LookupTokens:
    """Citizens' second factor: ``HMAC-SHA256(secret, code)``, shown as 4 groups of 4."""

    _ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def issue(self, code: str) -> str:
        """The lookup token of a dossier code (the same every time)."""
        mac = hmac.new(self._secret, code.encode(), hashlib.sha256).digest()
        chars = "".join(self._ALPHABET[b % len(self._ALPHABET)] for b in mac[:16])
        return "-".join(chars[i : i + 4] for i in range(0, 16, 4))

    def check(self, code: str, token: str) -> bool:
        """Is ``token`` the code's lookup token (case and dashes ignored)?"""
        given = token.upper().replace("-", "").replace(" ", "")
        return hmac.compare_digest(given.encode(), self.issue(code).replace("-", "").encode())


def is_party(principal: Principal, state: DossierState) -> bool:
    """May ``principal`` see this dossier? Operators and admins see every dossier."""
    if principal.role is not Role.AGENCY:
        return True
    agency = principal.agency
    if agency is None:
        return False
    if agency == state.responsible_agency or state.code.startswith(f"{agency}-"):
        return True
    if any(step.agency == agency for step in state.steps):
        return True
    return bool(state.timeline) and state.timeline[0].actor == agency


@dataclass
class AuthContext:
    """What the dependencies below need; one per app, on ``app.state.auth``."""

    credentials: CredentialStore
    limiter: TokenBuckets
    lookup: LookupTokens

    def rate(self, key: str) -> None:
        """Spend one request of ``key``'s budget; RateLimitedError when it is used up."""
        wait = self.limiter.take(key)
        if wait is not None:
            raise RateLimitedError(f"rate limit of {self.limiter.rate:g}/s exceeded", wait)


_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="`<key id>.<secret>`")
_bearer = HTTPBearer(auto_error=False, description="the same API key as a bearer token")


def auth_context(request: Request) -> AuthContext:
    context = request.app.state.auth
    assert isinstance(context, AuthContext)
    return context


def client_key(request: Request) -> str:
    """The rate-limit key of an anonymous caller."""
    return f"addr:{request.client.host if request.client else 'unknown'}"


def authenticate(
    request: Request,
    api_key: Annotated[str | None, Depends(_api_key)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller's principal; NotAuthenticatedError without a known key. Rate limited."""
    context = auth_context(request)
    token = api_key or (bearer.credentials if bearer else None)
    principal = context.credentials.authenticate(token) if token else None
    if principal is None:
        context.rate(client_key(request))
        raise NotAuthenticatedError("an API key is required (X-API-Key or Authorization: Bearer)")
    context.rate(f"key:{principal.key_id}")
    return principal


def require(*roles: Role) -> Callable[..., Principal]:
    """A dependency admitting only ``roles`` (403 for other authenticated callers)."""
    allowed = frozenset(roles)

    def dependency(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise ForbiddenError(f"this needs one of the roles: {names}")
        return principal

    return dependency


def anonymous(request: Request) -> None:
    """Rate limiting for public routes (per client address)."""
    auth_context(request).rate(client_key(request))


def credentials_json(credentials: Iterable[Credential]) -> str:
    """A credentials file body (JSON is valid YAML)."""
    return json.dumps({"credentials": [c.model_dump(mode="json") for c in credentials]}, indent=2)
