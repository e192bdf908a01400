"""The payment platform checksum scheme (pure)."""

from __future__ import annotations

import hashlib

import pytest

from connectors.peers import payment_checksum as pc

SECRET = "bi-mat"
INIT = {
    "msgType": "INIT",
    "requestId": "evt-1",
    "requestTime": "20250101080000",
    "dossierCode": "000.17.22.H56-250101-0001",
    "serviceCode": "1.001193.01",
    "amount": 8000,
    "description": "Lệ phí khai sinh",
}


def test_documented_order_and_secret_last() -> None:
    expected = hashlib.sha256(
        b"INIT|evt-1|20250101080000|000.17.22.H56-250101-0001|1.001193.01|8000|bi-mat"
    ).hexdigest()
    assert pc.compute(INIT, pc.request_fields("INIT"), SECRET) == expected
    assert pc.sign_request(INIT, SECRET)["checksum"] == expected


def test_missing_fields_are_empty_and_free_text_is_not_covered() -> None:
    fields = pc.response_fields("GET_BILL")
    message = {"msgType": "GET_BILL", "resultCode": "04", "requestId": "r"}
    expected = hashlib.sha256(b"GET_BILL|04|r|||||s").hexdigest()
    assert pc.compute(message, fields, "s") == expected
    signed = pc.sign_request(INIT, SECRET)
    assert pc.verify({**signed, "description": "khác"}, pc.request_fields("INIT"), SECRET)


@pytest.mark.parametrize(
    "change",
    [{"amount": 8001}, {"dossierCode": "x"}, {"checksum": "0" * 64}, {"checksum": None}],
)
def test_verify_detects_tampering(change: dict[str, object]) -> None:
    signed = {**pc.sign_request(INIT, SECRET), **change}
    assert not pc.verify(signed, pc.request_fields("INIT"), SECRET)


def test_wrong_secret_and_unknown_type_fail() -> None:
    signed = pc.sign_request(INIT, SECRET)
    assert not pc.verify(signed, pc.request_fields("INIT"), "other")
    assert not pc.verify({"msgType": "REFUND", "checksum": "x"}, pc.request_fields("REFUND"), "s")
    assert pc.response_fields("REFUND") == pc.FALLBACK_RESPONSE_FIELDS


def test_uppercase_hex_is_accepted_and_booleans_refused() -> None:
    signed = pc.sign_request(INIT, SECRET)
    signed["checksum"] = signed["checksum"].upper()
    assert pc.verify(signed, pc.request_fields("INIT"), SECRET)
    with pytest.raises(TypeError):
        pc.field_text(True)
