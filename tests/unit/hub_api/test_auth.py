"""Credentials, roles, lookup tokens and party rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub_api.auth import (
    Credential,
    CredentialStore,
    LookupTokens,
    Principal,
    Role,
    credentials_json,
    hash_secret,
    is_party,
    new_api_key,
    verify_secret,
)
from tests.unit.hub_api.conftest import AGENCY, OTHER, Hub, dossier_state, headers


def test_hash_is_salted_and_verifies() -> None:
    first, second = hash_secret("s3cret"), hash_secret("s3cret")
    assert first != second
    assert first.startswith("scrypt$")
    assert verify_secret("s3cret", first)
    assert not verify_secret("s3cret!", first)
    assert not verify_secret("s3cret", "scrypt$garbage")


def test_new_key_round_trips_through_a_credentials_file(tmp_path: Path) -> None:
    token, hashed = new_api_key("justice-portal")
    path = tmp_path / "credentials.yaml"
    path.write_text(
        credentials_json(
            [Credential(id="justice-portal", role=Role.AGENCY, agency=AGENCY, hash=hashed)]
        )
    )
    store = CredentialStore.from_file(path)
    assert store.authenticate(token) == Principal("justice-portal", Role.AGENCY, AGENCY)
    assert store.authenticate(token + "x") is None
    assert store.authenticate("justice-portal") is None
    assert store.authenticate("") is None
    assert store.authenticate(token) is not None  # cached path


def test_no_file_means_nobody(tmp_path: Path) -> None:
    assert len(CredentialStore.from_file(None)) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("credentials: [{id: x}]")
    with pytest.raises(ValueError, match="invalid credentials file"):
        CredentialStore.from_file(bad)


def test_agency_role_needs_an_agency() -> None:
    with pytest.raises(ValueError, match="agency id"):
        CredentialStore([Credential(id="ops", role=Role.OPERATOR, agency=AGENCY, hash="scrypt$x")])


def test_lookup_tokens_are_stable_per_code_and_secret() -> None:
    tokens = LookupTokens(b"k1")
    token = tokens.issue("000.00.06.H56-260302-0001")
    assert token == tokens.issue("000.00.06.H56-260302-0001")
    assert len(token) == 19
    assert token.count("-") == 3
    assert tokens.check("000.00.06.H56-260302-0001", token.lower().replace("-", " "))
    assert not tokens.check("000.00.06.H56-260302-0002", token)
    assert not LookupTokens(b"k2").check("000.00.06.H56-260302-0001", token)


def test_party_rules() -> None:
    state = dossier_state(steps=(AGENCY, "000.17.22.H56"))
    assert is_party(Principal("a", Role.AGENCY, AGENCY), state)
    assert is_party(Principal("c", Role.AGENCY, "000.17.22.H56"), state)
    assert not is_party(Principal("o", Role.AGENCY, OTHER), state)
    assert is_party(Principal("ops", Role.OPERATOR), state)
    assert not is_party(Principal("x", Role.AGENCY, None), state)


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/v1/quarantine", {"operator", "admin"}),
        ("/v1/deadletter", {"operator", "admin"}),
        ("/v1/dossiers", {"agency", "other", "operator", "admin"}),
        ("/v1/statistics", {"agency", "other", "operator", "admin"}),
    ],
)
def test_deny_by_default(hub: Hub, path: str, allowed: set[str]) -> None:
    assert hub.client.get(path).status_code == 401
    for who in ("agency", "other", "operator", "admin"):
        status = hub.client.get(path, headers=headers(who)).status_code
        assert (status == 200) is (who in allowed), (who, status)
        if who not in allowed:
            assert status == 403


def test_bearer_works_like_x_api_key(hub: Hub) -> None:
    from tests.unit.hub_api.conftest import KEYS

    answer = hub.client.get(
        "/v1/quarantine", headers={"Authorization": f"Bearer {KEYS['operator']}"}
    )
    assert answer.status_code == 200
