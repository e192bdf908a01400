"""The REST peers (payment, postal, portal), driven by httpx over a real socket."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from connectors.peers import Mode, Outcome, PaymentPeer, PortalPeer, PostalPeer
from connectors.peers import payment_checksum as pc
from connectors.peers._rest import basic_credentials

SECRET = "bi-mat-thanh-toan"
DOSSIER = "000.17.22.H56-250101-0001"


def init(request_id: str, **override: Any) -> dict[str, Any]:
    message = {
        "msgType": "INIT",
        "requestId": request_id,
        "requestTime": "20250101080000",
        "dossierCode": DOSSIER,
        "serviceCode": "1.001193.01",
        "amount": 8000,
        **override,
    }
    return pc.sign_request(message, SECRET)


def assert_signed(body: dict[str, Any]) -> None:
    assert pc.verify(body, pc.response_fields(body["msgType"]), SECRET)


@pytest.fixture
def payment() -> Iterator[PaymentPeer]:
    with PaymentPeer(secret=SECRET) as peer:
        yield peer


@pytest.fixture
def postal() -> Iterator[PostalPeer]:
    with PostalPeer(token="tk") as peer:
        yield peer


@pytest.fixture
def portal() -> Iterator[PortalPeer]:
    with PortalPeer(token="cong") as peer:
        yield peer


def test_payment_init_and_get_bill_signed_both_ways(payment: PaymentPeer) -> None:
    url = payment.endpoint_url
    created = httpx.post(url, json=init("evt-1")).json()
    assert created["resultCode"] == "00"
    assert_signed(created)
    get = {"msgType": "GET_BILL", "requestId": "q1", "requestTime": "20250101080100"}
    query = pc.sign_request({**get, "billId": created["billId"]}, SECRET)
    bill = httpx.post(url, json=query).json()
    assert (bill["resultCode"], bill["status"], bill["amount"]) == ("00", "UNPAID", 8000)
    assert_signed(bill)
    payment.mark_paid(created["billId"])
    paid = httpx.post(url, json=query).json()
    assert paid["status"] == "PAID"
    assert len(paid["paidTime"]) == 14
    assert [e.outcome for e in payment.log()] == [Outcome.ACCEPTED] + [Outcome.ANSWERED] * 2
    assert payment.accepted()[0].idempotency_key == "evt-1"


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ({**init("e"), "amount": 9000}, "01"),
        (init("e", serviceCode="1.001193"), "03"),
        (init("e", amount=0), "03"),
        (init("e", requestTime="2025-01-01"), "03"),
        (
            pc.sign_request(
                {
                    "msgType": "GET_BILL",
                    "requestId": "q",
                    "requestTime": "20250101080000",
                    "billId": "NOPE",
                },
                SECRET,
            ),
            "04",
        ),
        ({"msgType": "REFUND", "requestId": "e"}, "03"),
    ],
)
def test_payment_business_errors(payment: PaymentPeer, message: dict[str, Any], code: str) -> None:
    response = httpx.post(payment.endpoint_url, json=message)
    assert response.status_code == 200
    assert response.json()["resultCode"] == code
    assert_signed(response.json())
    assert payment.bills() == []
    assert payment.log()[0].outcome == Outcome.REJECTED


def test_payment_duplicate_only_with_dedupe() -> None:
    for dedupe, bills in ((False, 2), (True, 1)):
        with PaymentPeer(secret=SECRET, dedupe=dedupe) as peer:
            first = httpx.post(peer.endpoint_url, json=init("evt-1")).json()
            again = httpx.post(peer.endpoint_url, json=init("evt-1")).json()
            assert len(peer.bills()) == bills
            assert again["resultCode"] == ("02" if dedupe else "00")
            assert (again["billId"] == first["billId"]) is dedupe
            assert_signed(again)


def test_payment_modes(payment: PaymentPeer) -> None:
    url = payment.endpoint_url
    payment.set_mode(Mode.FAIL, times=1)
    failed = httpx.post(url, json=init("evt-1"))
    assert (failed.status_code, failed.json()["resultCode"]) == (503, "99")
    assert_signed(failed.json())
    payment.set_mode(Mode.FAIL_PERMANENT, times=1)
    assert httpx.post(url, json=init("evt-1")).status_code == 400
    payment.set_mode(Mode.GARBAGE, times=1)
    garbage = httpx.post(url, json=init("evt-1"))
    assert garbage.status_code == 200
    with pytest.raises(ValueError, match="Expecting"):
        garbage.json()
    payment.set_mode(Mode.SLOW, delay=0.3, times=1)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(url, json=init("evt-1"), timeout=0.1)
    assert payment.bills() == []
    time.sleep(0.4)  # a slow system still acts after the client gave up
    assert len(payment.bills()) == 1
    outcomes = [e.outcome for e in payment.log()]
    assert outcomes == [Outcome.FAILED, Outcome.FAILED, Outcome.GARBAGE, Outcome.ACCEPTED]


def test_payment_malformed_json(payment: PaymentPeer) -> None:
    response = httpx.post(payment.endpoint_url, content=b"{not json")
    assert (response.status_code, response.json()["resultCode"]) == (400, "03")
    assert payment.log()[0].body == {"_raw": "{not json"}


def order(number: str) -> dict[str, Any]:
    return {
        "CustomerCode": "C0038",
        "OrderNumber": number,
        "DossierCode": DOSSIER,
        "ReceiverName": "Lê Văn An",
        "ReceiverAddress": "Phường Hạc Thành, Thanh Hóa",
        "ReceiverPhone": "0912345678",
    }


def test_postal_create_and_get(postal: PostalPeer) -> None:
    headers = {"Token": "tk", "Idempotency-Key": "evt-1"}
    created = httpx.post(postal.describe()["orders_url"], json=order("KQ-1"), headers=headers)
    assert created.status_code == 201
    assert created.json()["ItemCode"] == "EL000000001VN"
    postal.set_order_status("KQ-1", "DELIVERED")
    got = httpx.get(f"{postal.url}/api/v1/orders/KQ-1", headers={"Token": "tk"}).json()
    assert (got["Status"], got["ItemCode"], got["CustomerCode"]) == (
        "DELIVERED",
        "EL000000001VN",
        "C0038",
    )
    [entry] = postal.accepted("CreateOrder")
    assert (entry.idempotency_key, entry.dossier_code) == ("evt-1", DOSSIER)


def test_postal_errors_and_duplicates(postal: PostalPeer) -> None:
    url = f"{postal.url}/api/v1/orders"
    assert httpx.post(url, json=order("A"), headers={"Token": "bad"}).status_code == 401
    missing = {k: v for k, v in order("A").items() if k != "ReceiverPhone"}
    bad = httpx.post(url, json=missing, headers={"Token": "tk"})
    assert (bad.status_code, bad.json()["Code"]) == (422, "VALIDATION")
    assert httpx.get(f"{url}/NOPE", headers={"Token": "tk"}).status_code == 404
    for _ in range(2):  # no dedupe: a second shipment
        httpx.post(url, json=order("A"), headers={"Token": "tk", "Idempotency-Key": "k"})
    assert [o["ItemCode"] for o in postal.orders()] == ["EL000000001VN", "EL000000002VN"]
    postal.set_mode(Mode.FAIL, times=1)
    assert httpx.post(url, json=order("B"), headers={"Token": "tk"}).status_code == 503
    postal.set_mode(Mode.GARBAGE, times=1)
    with pytest.raises(ValueError, match="Expecting"):
        httpx.post(url, json=order("B"), headers={"Token": "tk"}).json()


def status_sync(status: str, **override: Any) -> dict[str, Any]:
    return {
        "dossierCode": DOSSIER,
        "procedureCode": "1.001193",
        "agencyCode": "000.17.22.H56",
        "status": status,
        "receivedAt": "20250101080000",
        "dueAt": "20250101170000",
        "documents": [{"name": "Giấy chứng sinh"}],
        "fees": [{"amount": 8000}],
        "supplementHistory": [],
        "processingHistory": [{"time": "20250101081500", "status": status}],
        **override,
    }


def test_portal_sync_in_order(portal: PortalPeer) -> None:
    url, auth = portal.describe()["sync_url"], {"Authorization": "Bearer cong"}
    for n, status in enumerate(("2", "4", "9")):
        headers = {**auth, "Idempotency-Key": f"evt-{n}"}
        reply = httpx.post(url, json=status_sync(status), headers=headers)
        assert reply.json() == {"error_code": "0", "message": "Thành công"}
    assert [s["status"] for s in portal.statuses(DOSSIER)] == ["2", "4", "9"]
    assert [e.idempotency_key for e in portal.accepted()] == ["evt-0", "evt-1", "evt-2"]


@pytest.mark.parametrize(
    ("override", "code"),
    [
        ({"agencyCode": "H56"}, "3"),
        ({"status": "11"}, "4"),
        ({"receivedAt": "2025-01-01 08:00"}, "4"),
        ({"dueAt": "20251301000000"}, "4"),
        ({"processingHistory": [{"time": "x"}]}, "4"),
        ({"procedureCode": "abc"}, "4"),
        ({"fees": "8000"}, "4"),
    ],
)
def test_portal_validation(portal: PortalPeer, override: dict[str, Any], code: str) -> None:
    reply = httpx.post(
        portal.describe()["sync_url"],
        json={**status_sync("2"), **override},
        headers={"Authorization": "Bearer cong"},
    )
    assert (reply.status_code, reply.json()["error_code"]) == (200, code)
    assert portal.statuses() == []
    assert portal.log()[0].outcome == Outcome.REJECTED


def test_portal_auth_and_modes(portal: PortalPeer) -> None:
    url = portal.describe()["sync_url"]
    assert httpx.post(url, json=status_sync("2")).json()["error_code"] == "1"
    auth = {"Authorization": "Bearer cong"}
    portal.set_mode(Mode.FAIL, times=1)
    failed = httpx.post(url, json=status_sync("2"), headers=auth)
    assert (failed.status_code, failed.json()["error_code"]) == (503, "99")
    portal.set_mode(Mode.FAIL_PERMANENT, times=1)
    assert httpx.post(url, json=status_sync("2"), headers=auth).status_code == 400
    assert httpx.post(url, content=b"[1,", headers=auth).json()["error_code"] == "4"
    assert portal.statuses() == []


def test_portal_basic_auth() -> None:
    with PortalPeer(username="lgsp", password="mat-khau") as peer:
        url = peer.describe()["sync_url"]
        for auth in (None, ("lgsp", "sai"), ("khac", "mat-khau")):
            refused = httpx.post(url, json=status_sync("2"), auth=auth)
            assert refused.json()["error_code"] == "1"
        bearer = {"Authorization": "Bearer mat-khau"}
        assert httpx.post(url, json=status_sync("2"), headers=bearer).json()["error_code"] == "1"
        ok = httpx.post(url, json=status_sync("2"), auth=("lgsp", "mat-khau"))
        assert ok.json()["error_code"] == "0"
        assert [e.outcome for e in peer.log()] == [Outcome.REJECTED] * 4 + [Outcome.ACCEPTED]
    with pytest.raises(ValueError, match="not both"):
        PortalPeer(token="t", username="u")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Basic bGdzcDptYXQ6a2hhdQ==", ("lgsp", "mat:khau")),  # the password may hold ':'
        ("basic bGdzcDo=", ("lgsp", "")),
        ("Basic bGdzcA==", None),  # no colon
        ("Basic !!!", None),
        ("Bearer bGdzcDo=", None),
        ("", None),
    ],
)
def test_basic_credentials(header: str, expected: tuple[str, str] | None) -> None:
    assert basic_credentials(header) == expected
