"""The schema registry against the real broker: store, HTTP API (ASGI), CLI registration."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from hub_api.routers.schema_registry import MEDIA_TYPE, attach_schema_registry
from hub_api.schemas_cli import register_all
from hub_settings import HubSettings
from registry.schema_store import SchemaStore
from schemas import NAMESPACE, IncompatibleSchemaError, load_catalog

pytestmark = pytest.mark.integration

STATUS = f"{NAMESPACE}.DossierStatusChanged"
HEADERS = {"Content-Type": MEDIA_TYPE, "Accept": MEDIA_TYPE}


@pytest.fixture
def schemas_topic(new_topic: Callable[..., str]) -> str:
    return new_topic("_schemas", compacted=True)


@pytest.fixture
def store(settings: HubSettings, schemas_topic: str) -> Iterator[SchemaStore]:
    with SchemaStore(settings, topic=schemas_topic) as running:
        yield running


@pytest.fixture
async def client(settings: HubSettings, store: SchemaStore) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    attach_schema_registry(app, settings, store=store)
    transport = httpx.ASGITransport(app=app)
    base = "http://test/schema-registry"
    async with httpx.AsyncClient(transport=transport, base_url=base, headers=HEADERS) as c:
        yield c


def _status_schema(change: Callable[[dict[str, Any]], None] | None = None) -> str:
    schema = load_catalog().schema(STATUS)
    if change:
        change(schema)
    return json.dumps(schema)


async def _register(client: httpx.AsyncClient, subject: str, schema: str) -> Any:
    return await client.post(f"/subjects/{subject}/versions", json={"schema": schema})


async def test_every_packaged_schema_registers_with_stable_ids(client: httpx.AsyncClient) -> None:
    catalog = load_catalog()
    ids = {}
    for name in catalog.record_names():
        response = await _register(client, name, catalog.schema_text(name))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith(MEDIA_TYPE)
        ids[name] = response.json()["id"]
    assert len(set(ids.values())) == len(ids)
    for name, schema_id in ids.items():
        again = await _register(client, name, json.dumps(catalog.schema(name), indent=2))
        assert again.json() == {"id": schema_id}  # same schema, other whitespace: same id
        fetched = (await client.get(f"/schemas/ids/{schema_id}")).json()["schema"]
        assert json.loads(fetched) == catalog.schema(name)
    assert (await client.get("/subjects")).json() == sorted(ids)


async def test_evolution_rules_through_http(client: httpx.AsyncClient) -> None:
    v1 = _status_schema()
    first = (await _register(client, STATUS, v1)).json()["id"]

    def add_optional(schema: dict[str, Any]) -> None:
        schema["fields"].append(
            {"name": "channel_note", "type": ["null", "string"], "default": None, "doc": "x"}
        )

    def add_required(schema: dict[str, Any]) -> None:
        schema["fields"].append({"name": "officer_unit", "type": "string", "doc": "x"})

    def change_type(schema: dict[str, Any]) -> None:
        next(f for f in schema["fields"] if f["name"] == "status")["type"] = "string"

    def remove_required(schema: dict[str, Any]) -> None:
        schema["fields"] = [f for f in schema["fields"] if f["name"] != "agency_id"]

    added = await _register(client, STATUS, _status_schema(add_optional))
    assert added.status_code == 200
    assert added.json()["id"] != first
    assert (await client.get(f"/subjects/{STATUS}/versions")).json() == [1, 2]

    for breaking in (add_required, change_type):
        refused = await _register(client, STATUS, _status_schema(breaking))
        assert refused.status_code == 409
        assert refused.json()["error_code"] == 409
        assert "incompatible" in refused.json()["message"]

    # Removing a required field is BACKWARD-compatible (new readers ignore it) but breaks
    # old readers: refused once the subject asks for FULL compatibility.
    assert (await client.put(f"/config/{STATUS}", json={"compatibility": "FULL"})).json() == {
        "compatibility": "FULL"
    }
    removed = await _register(client, STATUS, _status_schema(remove_required))
    assert removed.status_code == 409
    check = (
        await client.post(
            f"/compatibility/subjects/{STATUS}/versions/latest?verbose=true",
            json={"schema": _status_schema(remove_required)},
        )
    ).json()
    assert check["is_compatible"] is False
    assert any("agency_id" in m for m in check["messages"])


async def test_lookup_config_delete_and_error_codes(client: httpx.AsyncClient) -> None:
    v1 = _status_schema()
    schema_id = (await _register(client, STATUS, v1)).json()["id"]
    found = (await client.post(f"/subjects/{STATUS}", json={"schema": v1})).json()
    assert found == {"subject": STATUS, "version": 1, "id": schema_id, "schema": found["schema"]}
    assert (await client.get(f"/subjects/{STATUS}/versions/latest")).json()["id"] == schema_id
    assert json.loads((await client.get(f"/subjects/{STATUS}/versions/1/schema")).text)["name"] == (
        "DossierStatusChanged"
    )
    assert (await client.get("/config")).json() == {"compatibilityLevel": "BACKWARD"}
    assert (await client.put("/config", json={"compatibility": "full"})).json() == {
        "compatibility": "FULL"
    }
    assert (await client.get(f"/config/{STATUS}?defaultToGlobal=true")).json() == {
        "compatibilityLevel": "FULL"
    }

    def error(response: Any) -> tuple[int, int]:
        return response.status_code, response.json()["error_code"]

    assert error(await client.get("/subjects/nope/versions")) == (404, 40401)
    assert error(await client.get(f"/subjects/{STATUS}/versions/9")) == (404, 40402)
    assert error(await client.get("/schemas/ids/99999")) == (404, 40403)
    other = json.dumps({"type": "record", "name": "Other", "fields": []})
    assert error(await client.post(f"/subjects/{STATUS}", json={"schema": other})) == (404, 40403)
    assert error(await client.get(f"/config/{STATUS}")) == (404, 40408)
    assert error(await _register(client, STATUS, "{not json")) == (422, 42201)
    assert error(await _register(client, STATUS, '{"type":"record"}')) == (422, 42201)
    assert error(await client.get(f"/subjects/{STATUS}/versions/first")) == (422, 42202)
    assert error(await client.put("/config", json={"compatibility": "SIDEWAYS"})) == (422, 42203)
    assert error(await client.post(f"/subjects/{STATUS}/versions", json=["x"])) == (422, 42201)

    assert (await client.delete(f"/subjects/{STATUS}/versions/1")).json() == 1
    assert error(await client.get(f"/subjects/{STATUS}/versions/1")) == (404, 40401)
    assert (await client.get(f"/subjects/{STATUS}/versions/1?deleted=true")).json()[
        "id"
    ] == schema_id
    assert (await client.get(f"/schemas/ids/{schema_id}")).status_code == 200  # ids stay readable
    again = (await _register(client, STATUS, v1)).json()["id"]
    assert again == schema_id
    assert (await client.get(f"/subjects/{STATUS}/versions")).json() == [2]
    assert (await client.delete(f"/subjects/{STATUS}")).json() == [2]
    assert STATUS not in (await client.get("/subjects")).json()
    assert STATUS in (await client.get("/subjects?deleted=true")).json()


def test_view_is_rebuilt_from_the_topic(
    settings: HubSettings, store: SchemaStore, schemas_topic: str
) -> None:
    schema_id = store.register(STATUS, _status_schema())
    store.set_level("FULL_TRANSITIVE", STATUS)
    store.delete_version(STATUS, 1)
    with SchemaStore(settings, topic=schemas_topic) as replica:
        assert replica.schema_by_id(schema_id) == store.schema_by_id(schema_id)
        assert replica.get_level(STATUS).value == "FULL_TRANSITIVE"
        assert replica.subjects() == []
        assert replica.versions(STATUS, include_deleted=True)[0].deleted


def test_two_replicas_never_share_an_id(
    settings: HubSettings, store: SchemaStore, schemas_topic: str
) -> None:
    catalog = load_catalog()
    names = catalog.record_names()
    with SchemaStore(settings, topic=schemas_topic) as replica:
        results: dict[str, int] = {}
        errors: list[BaseException] = []

        def work(target: SchemaStore, subjects: tuple[str, ...]) -> None:
            try:
                for name in subjects:
                    results[f"{id(target)}:{name}"] = target.register(
                        name, catalog.schema_text(name)
                    )
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [
            threading.Thread(target=work, args=(store, names[0::2])),
            threading.Thread(target=work, args=(replica, names[1::2])),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not errors
        assert len(set(results.values())) == len(names)
        # Both views agree on every id once each has caught up.
        for name in names:
            schema_id = replica.register(name, catalog.schema_text(name))
            assert store.register(name, catalog.schema_text(name)) == schema_id
            assert replica.schema_by_id(schema_id) == store.schema_by_id(schema_id)


def test_register_all_is_idempotent_and_fails_on_incompatible(
    settings: HubSettings, store: SchemaStore, schemas_topic: str
) -> None:
    def status_as_text(schema: dict[str, Any]) -> None:
        next(f for f in schema["fields"] if f["name"] == "status")["type"] = "string"

    store.register(STATUS, _status_schema(status_as_text))  # an earlier, other contract
    with pytest.raises(IncompatibleSchemaError, match="DossierStatusChanged"):
        register_all(settings, store=store)

    store.delete_subject(STATUS)
    first = register_all(settings, topic=schemas_topic)  # runs its own store
    assert len(first) == len(load_catalog().record_names())
    assert any(r.created for r in first)
    second = register_all(settings, store=store)
    assert [r.schema_id for r in second] == [r.schema_id for r in first]
    assert not any(r.created for r in second)
