"""Keys: ids, registry encoding, encrypted 0600 key files, rotation and revocation."""

from __future__ import annotations

import os
import pickle
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from security import (
    FileSigner,
    KeyFileError,
    KeyManagementError,
    KeyStatus,
    PublicKeyInfo,
    Signer,
    decode_public_key,
    encode_public_key,
    generate_key_pair,
    key_id_for,
    load_signer,
    revoke,
    rotate,
    write_private_key,
)

from .conftest import AGENCY, OTHER_AGENCY, T0

PASS = b"correct horse battery staple"


def test_generate_key_pair() -> None:
    private, info = generate_key_pair(AGENCY, now=T0)
    raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert info.public_key == raw
    assert info.agency_id == AGENCY
    assert info.status is KeyStatus.ACTIVE
    assert info.valid_from == T0
    assert info.valid_until is None
    assert info.revoked_at is None
    assert info.key_id == key_id_for(AGENCY, raw)
    prefix, fingerprint = info.key_id.rsplit(":", 1)
    assert prefix == AGENCY
    assert len(fingerprint) == 16
    assert int(fingerprint, 16) >= 0


def test_generate_defaults_and_custom_id() -> None:
    before = datetime.now(UTC)
    _, info = generate_key_pair(AGENCY, "hsm-slot-7")
    assert info.key_id == "hsm-slot-7"
    assert info.valid_from >= before


@pytest.mark.parametrize(("agency", "key_id"), [("", None), ("sở y tế", None), (AGENCY, "")])
def test_generate_rejects_bad_ids(agency: str, key_id: str | None) -> None:
    with pytest.raises(KeyManagementError):
        generate_key_pair(agency, key_id, now=T0)


def test_generate_needs_aware_time() -> None:
    with pytest.raises(KeyManagementError, match="timezone-aware"):
        generate_key_pair(AGENCY, now=datetime(2025, 1, 1))


def test_key_id_is_stable() -> None:
    raw = bytes(range(32))
    assert key_id_for(AGENCY, raw) == key_id_for(AGENCY, raw)
    assert key_id_for(AGENCY, raw) != key_id_for(OTHER_AGENCY, raw)


def test_public_key_registry_encoding() -> None:
    _, info = generate_key_pair(AGENCY, now=T0)
    text = info.public_key_b64
    assert len(text) == 44
    assert decode_public_key(text) == info.public_key


@pytest.mark.parametrize(
    "text", ["", "AAAA", "not base64!!", "A" * 42 + "==", "ÿ" * 44, "A" * 42 + "B="]
)
def test_public_key_decoding_is_strict(text: str) -> None:
    with pytest.raises(KeyManagementError):
        decode_public_key(text)


def test_encode_public_key_checks_length() -> None:
    with pytest.raises(KeyManagementError):
        encode_public_key(b"x" * 31)


def test_private_key_file_round_trip(tmp_path: Path) -> None:
    private, info = generate_key_pair(AGENCY, now=T0)
    path = tmp_path / "agency.pem"
    write_private_key(path, private, PASS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    pem = path.read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    raw_private = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, _no_encryption())
    assert raw_private not in pem
    signer = load_signer(path, PASS, AGENCY)
    assert isinstance(signer, Signer)
    assert signer.key_id == info.key_id
    assert signer.public_key == info.public_key
    private.public_key().verify(signer.sign(b"data"), b"data")


def _no_encryption() -> NoEncryption:
    return NoEncryption()


def test_mode_is_set_at_creation_even_with_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        path = tmp_path / "k.pem"
        write_private_key(path, Ed25519PrivateKey.generate(), PASS)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    path.write_bytes(b"precious")
    with pytest.raises(KeyFileError, match="already exists"):
        write_private_key(path, Ed25519PrivateKey.generate(), PASS)
    assert path.read_bytes() == b"precious"


def test_symlink_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "target"
    (tmp_path / "link.pem").symlink_to(target)
    with pytest.raises(KeyFileError):
        write_private_key(tmp_path / "link.pem", Ed25519PrivateKey.generate(), PASS)
    assert not target.exists()


def test_empty_passphrase_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="passphrase"):
        write_private_key(tmp_path / "k.pem", Ed25519PrivateKey.generate(), b"")
    assert not (tmp_path / "k.pem").exists()


def test_wrong_passphrase(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    write_private_key(path, Ed25519PrivateKey.generate(), PASS)
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        load_signer(path, b"wrong", AGENCY)


def test_open_permissions_refused_unless_allowed(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    write_private_key(path, Ed25519PrivateKey.generate(), PASS)
    path.chmod(0o644)
    with pytest.raises(KeyFileError, match="mode 644"):
        load_signer(path, PASS, AGENCY)
    assert load_signer(path, PASS, AGENCY, allow_open_permissions=True).agency_id == AGENCY


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="cannot read"):
        load_signer(tmp_path / "absent.pem", PASS, AGENCY)


def test_signer_never_shows_key_material() -> None:
    private, info = generate_key_pair(AGENCY, now=T0)
    signer = FileSigner(private, AGENCY, info.key_id)
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, _no_encryption())
    for text in (repr(signer), str(signer), f"{signer}", f"{signer!r}"):
        assert info.key_id in text
        assert raw.hex() not in text
        assert "private" not in text.lower()
    assert not hasattr(signer, "__dict__")
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(signer)


# --- rotation and revocation ---------------------------------------------------------

NOW = T0 + timedelta(days=30)
OVERLAP = timedelta(days=7)


def _key(key_id: str, agency: str = AGENCY, **kw: Any) -> PublicKeyInfo:
    kw.setdefault("valid_from", T0)
    return PublicKeyInfo(key_id, agency, bytes(32), **kw)


def test_rotate_retires_previous_active_key() -> None:
    old = _key("a:1")
    other = _key("b:1", OTHER_AGENCY)
    new = _key("a:2", valid_from=NOW)
    result = rotate([old, other], new, now=NOW, overlap=OVERLAP)
    by_id = {k.key_id: k for k in result}
    assert by_id["a:1"].status is KeyStatus.RETIRING
    assert by_id["a:1"].valid_until == NOW + OVERLAP
    assert by_id["a:2"].status is KeyStatus.ACTIVE
    assert by_id["b:1"] == other  # other agencies untouched
    assert [old, other] == [_key("a:1"), _key("b:1", OTHER_AGENCY)]  # inputs not mutated


def test_rotate_keeps_earlier_expiry_and_leaves_revoked_alone() -> None:
    soon = NOW + timedelta(days=1)
    active = _key("a:1", valid_until=soon)
    revoked = _key("a:0", status=KeyStatus.REVOKED, revoked_at=T0)
    retiring = _key("a:r", status=KeyStatus.RETIRING, valid_until=NOW)
    result = rotate([revoked, retiring, active], _key("a:2"), now=NOW, overlap=OVERLAP)
    assert result[0] == revoked
    assert result[1] == retiring
    assert result[2].valid_until == soon
    assert result[2].status is KeyStatus.RETIRING


def test_rotate_twice() -> None:
    keys = rotate([_key("a:1")], _key("a:2"), now=NOW, overlap=OVERLAP)
    keys = rotate(keys, _key("a:3"), now=NOW + timedelta(days=1), overlap=OVERLAP)
    assert [k.status for k in keys] == [KeyStatus.RETIRING, KeyStatus.RETIRING, KeyStatus.ACTIVE]
    assert keys[0].valid_until == NOW + OVERLAP
    assert keys[1].valid_until == NOW + timedelta(days=1) + OVERLAP


@pytest.mark.parametrize(
    ("new", "overlap", "message"),
    [(_key("a:1"), OVERLAP, "already registered"), (_key("a:2"), -OVERLAP, "negative")],
)
def test_rotate_errors(new: PublicKeyInfo, overlap: timedelta, message: str) -> None:
    with pytest.raises(KeyManagementError, match=message):
        rotate([_key("a:1")], new, now=NOW, overlap=overlap)


def test_revoke() -> None:
    keys = [_key("a:1"), _key("a:2")]
    result = revoke(keys, "a:1", now=NOW)
    assert result[0].status is KeyStatus.REVOKED
    assert result[0].revoked_at == NOW
    assert result[1] == keys[1]


def test_revoke_backdated_and_idempotent() -> None:
    early = NOW - timedelta(days=3)
    keys = revoke([_key("a:1")], "a:1", now=NOW, effective=early)
    assert keys[0].revoked_at == early
    again = revoke(keys, "a:1", now=NOW + timedelta(days=1))
    assert again[0].revoked_at == early  # the earlier time wins


def test_revoke_unknown_key() -> None:
    with pytest.raises(KeyManagementError, match="unknown key id 'x'"):
        revoke([_key("a:1")], "x", now=NOW)
