"""The worked test vectors of docs/signing.md section 5, checked byte for byte."""

from __future__ import annotations

import re
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from security import (
    FileSigner,
    PublicKeyInfo,
    canonical_bytes,
    canonical_digest,
    encode_public_key,
    key_id_for,
    sign_batch,
    sign_event,
    verify_event,
)

from .conftest import AGENCY, T0, make_event

DOC = (Path(__file__).parents[3] / "docs" / "signing.md").read_text(encoding="utf-8")
SEED = bytes.fromhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
VALUE = bytes.fromhex("000000002a68656c6c6f206176726f")
TIME = b"2025-03-01T08:30:00+07:00"


def _signer() -> FileSigner:
    private = Ed25519PrivateKey.from_private_bytes(SEED)
    raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return FileSigner(private, AGENCY, key_id_for(AGENCY, raw))


def _doc_block_after(marker: str) -> str:
    """Hex lines of the fenced block following ``marker`` in the doc, joined."""
    block = DOC.split(marker, 1)[1].split("```", 2)[1]
    return "".join(block.split())


def test_public_key_and_key_id_match_doc() -> None:
    signer = _signer()
    assert f"Public key (base64): `{encode_public_key(signer.public_key)}`" in DOC
    assert signer.key_id == "000.00.15.H56:56475aa75463474c"
    assert f"Key id: `{signer.key_id}`" in DOC


def test_single_event_vector() -> None:
    headers, value = make_event(time=TIME, value=VALUE)
    assert canonical_bytes(headers, value).hex() == _doc_block_after("Canonical bytes (hex):")
    digest = canonical_digest(headers, value).hex()
    assert digest == "a466068f6310695172497f0e5e005d7e0fd63b327c13a401f21f54b596029a1d"
    assert f"Digest: `{digest}`" in DOC
    sig = dict(sign_event(_signer(), headers, value))
    assert sig["ce_signature"] == (
        b"EoN7GkULvOj8-kzSlMinZA2O_-C8YpwUy0YFrZvF-rcKVj0SBDg_tNXNDIQ9BMLaLzmLZxn5-RxbZNA9SJMsBg"
    )
    assert f"`{sig['ce_signature'].decode()}`" in DOC


def test_batch_vector() -> None:
    signer = _signer()
    events = [
        make_event(f"4f6cbe3{i}-8f1e-4c63-9d3b-1a2b3c4d5e6f", time=TIME, value=VALUE)
        for i in range(3)
    ]
    signed = [dict(s) for s in sign_batch(signer, events)]
    for i, (headers, value) in enumerate(events):
        assert f"{i}: {canonical_digest(headers, value).hex()}" in DOC
        assert re.search(rf"leaf {i}: {re.escape(signed[i]['ce_sigpath'].decode())}\n", DOC)
    assert f"ce_sigroot   {signed[0]['ce_sigroot'].decode()}" in DOC
    assert f"ce_signature {signed[0]['ce_signature'].decode()}" in DOC
    assert signed[0]["ce_sigroot"] == (
        b"9793ee7223cb33ea3ceafa68b337504bc65050b9eaabcea6193a5fa04c5dde45"
    )


def test_vectors_verify() -> None:
    signer = _signer()
    info = PublicKeyInfo(signer.key_id, AGENCY, signer.public_key, valid_from=T0)
    headers, value = make_event(time=TIME, value=VALUE)
    full = headers + list(sign_event(signer, headers, value))
    result = verify_event(full, value, {info.key_id: info}, source_agency=AGENCY, at=T0)
    assert result.algorithm == "ed25519"
