"""Field encryption: round trip, self-describing token, binding to dossier and field."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from security import (
    FieldCryptoError,
    decrypt_field,
    encrypt_field,
    field_aad,
    field_key_id,
    generate_field_key,
)

KEY = generate_field_key()
KEY_ID = "000.00.15.H56:field-2025"
KEYS = {KEY_ID: KEY}
AAD = field_aad("000.00.15.H56-250301-0001", "applicant.citizenId")


@given(plaintext=st.text(max_size=200))
def test_round_trip(plaintext: str) -> None:
    token = encrypt_field(plaintext, KEY, KEY_ID, AAD)
    assert token.isascii()
    assert decrypt_field(token, KEYS, AAD) == plaintext


def test_token_format() -> None:
    token = encrypt_field("038095000123", KEY, KEY_ID, AAD)
    assert token.startswith(f"v1.{KEY_ID}.")
    assert field_key_id(token) == KEY_ID
    assert "038095000123" not in token
    _, nonce, sealed = token.rsplit(".", 2)
    assert len(nonce) == 16  # 12 bytes
    assert len(sealed) == 38  # 12 + 16-byte tag = 28 bytes


def test_nonces_are_fresh() -> None:
    assert encrypt_field("x", KEY, KEY_ID, AAD) != encrypt_field("x", KEY, KEY_ID, AAD)


@pytest.mark.parametrize(
    "aad",
    [
        field_aad("000.00.15.H56-250301-0002", "applicant.citizenId"),  # other dossier
        field_aad("000.00.15.H56-250301-0001", "applicant.phone"),  # other field
        field_aad("000.00.15.H56-250301-000", "1applicant.citizenId"),  # shifted boundary
        b"",
    ],
)
def test_ciphertext_cannot_move_between_dossiers_or_fields(aad: bytes) -> None:
    token = encrypt_field("0912345678", KEY, KEY_ID, AAD)
    with pytest.raises(FieldCryptoError, match="fails authentication"):
        decrypt_field(token, KEYS, aad)


def test_wrong_key_and_unknown_key() -> None:
    token = encrypt_field("a@b.vn", KEY, KEY_ID, AAD)
    with pytest.raises(FieldCryptoError, match="fails authentication"):
        decrypt_field(token, {KEY_ID: generate_field_key()}, AAD)
    with pytest.raises(FieldCryptoError, match="no field key"):
        decrypt_field(token, {}, AAD)


def test_key_id_is_authenticated() -> None:
    other_id = "000.00.15.H56:field-2026"
    token = encrypt_field("x", KEY, KEY_ID, AAD).replace(KEY_ID, other_id)
    with pytest.raises(FieldCryptoError, match="fails authentication"):
        decrypt_field(token, {other_id: KEY}, AAD)


def test_tampered_ciphertext() -> None:
    token = encrypt_field("x", KEY, KEY_ID, AAD)
    last = "A" if token[-2] != "A" else "B"
    with pytest.raises(FieldCryptoError):
        decrypt_field(token[:-2] + last + token[-1], KEYS, AAD)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "plain text",
        "v2.k.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA",
        "v1.k.AAAA",
        "v1..AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA",
        "v1.k.AAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA",
        "v1.k.AAAAAAAAAAAAAAAA.AAAA",
        "v1.k.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAA=",
        "v1.ké.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA",
    ],
)
def test_malformed_tokens(token: str) -> None:
    with pytest.raises(FieldCryptoError):
        decrypt_field(token, {"k": KEY}, AAD)


@pytest.mark.parametrize(
    ("key", "key_id"), [(b"short", KEY_ID), (KEY, ""), (KEY, "a b"), (KEY, "ké")]
)
def test_bad_key_or_key_id(key: bytes, key_id: str) -> None:
    with pytest.raises(FieldCryptoError):
        encrypt_field("x", key, key_id, AAD)


def test_field_key_size() -> None:
    assert len(generate_field_key()) == 32
    assert generate_field_key() != generate_field_key()
