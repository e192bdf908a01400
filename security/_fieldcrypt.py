"""Field-level encryption of personal data (citizen id, phone, e-mail) for one recipient agency.

AES-256-GCM with a random 96-bit nonce. The output is one compact ASCII string,
``v1.<key id>.<nonce>.<ciphertext+tag>`` (nonce and ciphertext base64url, unpadded), that
fits in an Avro string field. The associated data binds the version, the key id and the
caller's context (field_aad: dossier code and field name), so a ciphertext moved to
another dossier or field fails to decrypt. See docs/field-encryption.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from security._b64 import b64url_decode, b64url_encode
from security._canonical import length_prefixed
from security.errors import FieldCryptoError

__all__ = [
    "FIELD_KEY_SIZE",
    "decrypt_field",
    "encrypt_field",
    "field_aad",
    "field_key_id",
    "generate_field_key",
]

FIELD_KEY_SIZE = 32
"""AES-256: every recipient agency field key is 32 random bytes."""

_VERSION = "v1"
_AAD_TAG = length_prefixed(b"vn.gov.thanhhoa.hub/field-encryption/v1")
_NONCE_SIZE = 12


def generate_field_key() -> bytes:
    """Return a fresh random 32-byte field key for a recipient agency."""
    return os.urandom(FIELD_KEY_SIZE)


def field_aad(dossier_code: str, field_name: str) -> bytes:
    """Associated data binding a ciphertext to one dossier and one field (length-prefixed)."""
    return length_prefixed(dossier_code.encode("utf-8")) + length_prefixed(
        field_name.encode("utf-8")
    )


def _check_key_id(key_id: str) -> None:
    if not key_id or not key_id.isascii() or not key_id.isprintable() or " " in key_id:
        raise FieldCryptoError(f"field key id {key_id!r} must be printable ASCII, no spaces")


def _full_aad(key_id: str, aad: bytes) -> bytes:
    return _AAD_TAG + length_prefixed(key_id.encode("ascii")) + aad


def encrypt_field(plaintext: str, key: bytes, key_id: str, aad: bytes) -> str:
    """Encrypt one field value for the holder of ``key``; ``aad`` from field_aad().

    A key must not encrypt more than 2^32 values (random-nonce limit of AES-GCM).
    """
    _check_key_id(key_id)
    if len(key) != FIELD_KEY_SIZE:
        raise FieldCryptoError(f"field key must be {FIELD_KEY_SIZE} bytes, got {len(key)}")
    nonce = os.urandom(_NONCE_SIZE)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), _full_aad(key_id, aad))
    nonce_text = b64url_encode(nonce).decode("ascii")
    sealed_text = b64url_encode(sealed).decode("ascii")
    return f"{_VERSION}.{key_id}.{nonce_text}.{sealed_text}"


def _parse(token: str) -> tuple[str, bytes, bytes]:
    prefix = _VERSION + "."
    if not token.isascii() or not token.startswith(prefix):
        raise FieldCryptoError(f"encrypted field does not start with {prefix!r}")
    parts = token[len(prefix) :].rsplit(".", 2)
    if len(parts) != 3:
        raise FieldCryptoError("encrypted field needs key id, nonce and ciphertext parts")
    key_id, nonce_text, sealed_text = parts
    _check_key_id(key_id)
    nonce = b64url_decode(nonce_text.encode("ascii"))
    sealed = b64url_decode(sealed_text.encode("ascii"))
    if nonce is None or len(nonce) != _NONCE_SIZE or sealed is None or len(sealed) < 16:
        raise FieldCryptoError("encrypted field has a malformed nonce or ciphertext")
    return key_id, nonce, sealed


def field_key_id(token: str) -> str:
    """Return the key id an encrypted field was sealed with (to pick the key)."""
    return _parse(token)[0]


def decrypt_field(token: str, keys: Mapping[str, bytes], aad: bytes) -> str:
    """Decrypt a field sealed by encrypt_field, taking the key named in it from ``keys``.

    Raises FieldCryptoError if the key is unknown or the token, key or aad do not match.
    """
    key_id, nonce, sealed = _parse(token)
    key = keys.get(key_id)
    if key is None:
        raise FieldCryptoError(f"no field key {key_id!r} available to decrypt")
    if len(key) != FIELD_KEY_SIZE:
        raise FieldCryptoError(f"field key {key_id!r} must be {FIELD_KEY_SIZE} bytes")
    try:
        plain = AESGCM(key).decrypt(nonce, sealed, _full_aad(key_id, aad))
    except InvalidTag:
        raise FieldCryptoError(
            f"field sealed with key {key_id!r} fails authentication "
            "(wrong key, altered, or moved to another dossier/field)"
        ) from None
    return plain.decode("utf-8")
