"""The citizen lookup: code + lookup token, no existence leaks, the page itself."""

from __future__ import annotations

from tests.unit.hub_api.conftest import Hub, dossier_state


def test_lookup_with_the_token(hub: Hub) -> None:
    state = dossier_state(statuses=(2, 4))
    hub.put_state(state)
    token = hub.auth.lookup.issue(state.code)
    answer = hub.client.get(f"/v1/citizen/dossiers/{state.code}", params={"token": token})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status_vi"] == "Đang xử lý"
    assert body["agency_name"] == "Sở Tư pháp"
    assert [e["status"] for e in body["timeline"]] == [1, 2, 4]
    assert "lookup_token" not in body
    assert "actor" not in str(body)
    by_header = hub.client.get(
        f"/v1/citizen/dossiers/{state.code}", headers={"X-Lookup-Token": token.lower()}
    )
    assert by_header.status_code == 200


def test_wrong_token_and_unknown_code_look_the_same(hub: Hub) -> None:
    state = dossier_state()
    hub.put_state(state)
    unknown = "000.00.06.H56-260302-9999"
    wrong = hub.client.get(f"/v1/citizen/dossiers/{state.code}", params={"token": "AAAA-BBBB"})
    missing = hub.client.get(
        f"/v1/citizen/dossiers/{unknown}", params={"token": hub.auth.lookup.issue(unknown)}
    )
    assert wrong.status_code == missing.status_code == 404
    assert {k: v for k, v in wrong.json().items() if k != "instance"} == {
        k: v for k, v in missing.json().items() if k != "instance"
    }
    no_token = hub.client.get(f"/v1/citizen/dossiers/{state.code}")
    assert no_token.status_code == 401


def test_page_is_served_in_vietnamese_with_labels(hub: Hub) -> None:
    page = hub.client.get("/citizen/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<html lang="vi">' in html
    assert '<label for="code"' in html
    assert '<label for="token"' in html
    assert 'name="viewport"' in html
    assert hub.client.get("/citizen/static/app.js").status_code == 200
    assert hub.client.get("/", follow_redirects=False).headers["location"] == "/citizen/"
