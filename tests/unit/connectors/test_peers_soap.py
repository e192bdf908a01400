"""The SOAP peers, driven by zeep over a real socket (WSDL loaded from ``?wsdl``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date

import httpx
import pytest
import zeep
from lxml import etree  # type: ignore[import-untyped]
from zeep.exceptions import Fault, TransportError
from zeep.wsse.username import UsernameToken

from connectors.peers import FAULT_NS, CivilStatusPeer, Mode, Outcome, PopulationPeer

DOSSIER = "000.17.22.H56-250101-0001"


def birth(key: str, dossier: str = DOSSIER) -> dict[str, object]:
    return {
        "DossierCode": dossier,
        "ChildName": "Lê Minh Khang",
        "BirthDate": date(2025, 1, 1),
        "FatherName": "Lê Văn An",
        "MotherName": "Nguyễn Thị Bình",
        "CommuneCode": "16012",
        "IdempotencyKey": key,
    }


def fault_info(fault: Fault) -> tuple[str, bool]:
    """(code, transient) from the peer's FaultInfo detail."""
    info = fault.detail.find(f"{{{FAULT_NS}}}FaultInfo")
    return info.findtext(f"{{{FAULT_NS}}}Code"), info.findtext(f"{{{FAULT_NS}}}Transient") == "true"


@pytest.fixture
def civil() -> Iterator[CivilStatusPeer]:
    with CivilStatusPeer() as peer:
        yield peer


@pytest.fixture
def population() -> Iterator[PopulationPeer]:
    with PopulationPeer() as peer:
        yield peer


def test_wsdl_is_served_with_the_real_address(civil: CivilStatusPeer) -> None:
    wsdl = httpx.get(civil.wsdl_url).text
    assert f'location="{civil.endpoint_url}"' in wsdl
    client = zeep.Client(civil.wsdl_url)
    assert {"RegisterBirth", "GetRegistrationStatus", "GetStatusChanges"} <= set(
        client.service._binding._operations
    )


def test_register_birth_then_status_and_feed(civil: CivilStatusPeer) -> None:
    client = zeep.Client(civil.wsdl_url)
    reply = client.service.RegisterBirth(**birth("evt-1"))
    assert reply.Status == 2
    assert reply.RegistrationNumber.startswith("000001/")
    civil.set_status(DOSSIER, 9, "Đã xử lý xong")
    status = client.service.GetRegistrationStatus(DossierCode=DOSSIER)
    assert (status.Status, status.Note) == (9, "Đã xử lý xong")
    feed = client.service.GetStatusChanges(AfterSequence=1)
    assert [c.Status for c in feed.Change] == [9]
    assert feed.LastSequence == 2
    [entry] = civil.accepted("RegisterBirth")
    assert (entry.idempotency_key, entry.dossier_code) == ("evt-1", DOSSIER)
    assert entry.body["ChildName"] == "Lê Minh Khang"
    assert [e.operation for e in civil.log()] == [
        "RegisterBirth",
        "GetRegistrationStatus",
        "GetStatusChanges",
    ]


def test_no_dedupe_by_default_but_dedupe_when_configured() -> None:
    for dedupe, numbers in ((False, 2), (True, 1)):
        with CivilStatusPeer(dedupe=dedupe) as peer:
            client = zeep.Client(peer.wsdl_url)
            first = client.service.RegisterBirth(**birth("evt-1"))
            second = client.service.RegisterBirth(**birth("evt-1"))
            assert len(peer.registrations()) == numbers
            assert (first.RegistrationNumber == second.RegistrationNumber) is dedupe
            outcomes = [e.outcome for e in peer.log()]
            assert outcomes[1] == (Outcome.DUPLICATE if dedupe else Outcome.ACCEPTED)


def test_unknown_dossier_and_invalid_request_are_client_faults(civil: CivilStatusPeer) -> None:
    client = zeep.Client(civil.wsdl_url)
    with pytest.raises(Fault) as caught:
        client.service.GetRegistrationStatus(DossierCode="nope")
    assert caught.value.code == "soap:Client"
    assert fault_info(caught.value) == ("notFound", False)
    with pytest.raises(Fault) as caught:
        client.service.RegisterBirth(**{**birth("evt-2"), "BirthDate": date(2999, 1, 1)})
    assert fault_info(caught.value) == ("invalidRequest", False)
    assert [e.outcome for e in civil.log()] == [Outcome.REJECTED, Outcome.REJECTED]


@pytest.mark.parametrize("use_digest", [False, True])
def test_ws_security_username_token(use_digest: bool) -> None:
    with CivilStatusPeer(username="xa-dong-tien", password="mat-khau") as peer:
        good = UsernameToken("xa-dong-tien", "mat-khau", use_digest=use_digest)
        assert zeep.Client(peer.wsdl_url, wsse=good).service.RegisterBirth(**birth("k")).Status == 2
        for wsse in (UsernameToken("xa-dong-tien", "sai", use_digest=use_digest), None):
            client = zeep.Client(peer.wsdl_url, wsse=wsse)
            with pytest.raises(Fault) as caught:
                client.service.RegisterBirth(**birth("k2"))
            assert caught.value.code == "soap:Client"
            assert fault_info(caught.value) == ("authentication", False)
        assert [e.detail for e in peer.log()][1:] == ["authentication", "authentication"]
        assert len(peer.accepted()) == 1


def test_fail_modes_are_typed_faults(civil: CivilStatusPeer) -> None:
    client = zeep.Client(civil.wsdl_url)
    civil.set_mode(Mode.FAIL, times=1)
    with pytest.raises(Fault) as caught:
        client.service.RegisterBirth(**birth("evt-1"))
    assert caught.value.code == "soap:Server"
    assert fault_info(caught.value) == ("unavailable", True)
    civil.set_mode(Mode.FAIL_PERMANENT, times=1)
    with pytest.raises(Fault) as caught:
        client.service.RegisterBirth(**birth("evt-1"))
    assert caught.value.code == "soap:Client"
    assert fault_info(caught.value)[1] is False
    assert client.service.RegisterBirth(**birth("evt-1")).Status == 2  # back to ok
    assert [e.outcome for e in civil.log()] == [Outcome.FAILED, Outcome.FAILED, Outcome.ACCEPTED]
    assert len(civil.registrations()) == 1


def test_garbage_and_slow_modes(civil: CivilStatusPeer) -> None:
    client = zeep.Client(civil.wsdl_url)
    civil.set_mode(Mode.GARBAGE, times=1)
    with pytest.raises(TransportError, match="invalid XML"):
        client.service.RegisterBirth(**birth("evt-1"))
    assert civil.registrations() == []
    civil.set_mode(Mode.SLOW, delay=0.3, times=1)
    started = time.monotonic()
    assert client.service.RegisterBirth(**birth("evt-1")).Status == 2
    assert time.monotonic() - started >= 0.3


def test_malformed_envelope_is_logged_and_rejected(civil: CivilStatusPeer) -> None:
    response = httpx.post(
        civil.endpoint_url,
        content=b"<not-soap",
        headers={"Content-Type": "text/xml", "Idempotency-Key": "evt-9"},
    )
    assert response.status_code == 500
    assert b"malformedXml" in response.content
    [entry] = civil.log()
    assert (entry.operation, entry.idempotency_key, entry.outcome) == (
        "unknown",
        "evt-9",
        Outcome.REJECTED,
    )


def test_population_check_rpc_literal_soap12(population: PopulationPeer) -> None:
    client = zeep.Client(population.wsdl_url)
    check = client.service.CheckCitizen
    ok = check(
        requestId="r1", citizenId="038090001234", fullName="LÊ VĂN  AN", birthDate=date(1990, 3, 14)
    )
    assert (ok.match, ok.reason) == (True, "MATCH")
    cases = [
        ("03809000123", "Lê Văn An", date(1990, 3, 14), "INVALID_CITIZEN_ID"),
        ("038000000000", "Lê Văn An", date(1990, 3, 14), "NOT_FOUND"),
        ("038090001234", "Lê Văn Ân", date(1990, 3, 14), "NAME_MISMATCH"),
        ("038090001234", "Lê Văn An", date(1990, 3, 15), "BIRTH_DATE_MISMATCH"),
    ]
    for citizen_id, name, born, reason in cases:
        reply = check(requestId="r2", citizenId=citizen_id, fullName=name, birthDate=born)
        assert (reply.match, reply.reason) == (False, reason)
    assert [e.idempotency_key for e in population.log()] == ["r1"] + ["r2"] * 4


def test_population_faults_are_soap12(population: PopulationPeer) -> None:
    client = zeep.Client(population.wsdl_url)
    args = {"requestId": "r", "citizenId": "1", "fullName": "x", "birthDate": date(2000, 1, 1)}
    population.set_mode(Mode.FAIL, times=1)
    with pytest.raises(Fault) as caught:
        client.service.CheckCitizen(**args)
    assert caught.value.code == "soap:Receiver"
    assert [q.localname for q in caught.value.subcodes] == ["unavailable"]
    assert fault_info(caught.value) == ("unavailable", True)
    population.set_mode(Mode.FAIL_PERMANENT, times=1)
    with pytest.raises(Fault) as caught:
        client.service.CheckCitizen(**args)
    assert caught.value.code == "soap:Sender"


def test_population_rejects_a_soap11_envelope(population: PopulationPeer) -> None:
    body = etree.tostring(etree.Element("{http://schemas.xmlsoap.org/soap/envelope/}Envelope"))
    response = httpx.post(population.endpoint_url, content=body)
    assert response.status_code == 400
    assert b"versionMismatch" in response.content


def test_packaged_wsdl_file_with_address_override(civil: CivilStatusPeer) -> None:
    client = zeep.Client(CivilStatusPeer.wsdl_path())
    service = client.create_service("{urn:thanhhoa:hotich:v1}CivilStatusSoap11", civil.endpoint_url)
    assert service.RegisterBirth(**birth("evt-file")).Status == 2
    pop = zeep.Client(PopulationPeer.wsdl_path())
    assert pop.wsdl.bindings["{urn:thanhhoa:dancu:v1}IdentityCheckSoap12"] is not None
