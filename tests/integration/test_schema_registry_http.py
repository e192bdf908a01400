"""The registry under uvicorn on a random local port, spoken to like a Confluent client."""

from __future__ import annotations

import json

import httpx
import pytest

from hub_api.routers.schema_registry import MEDIA_TYPE
from schemas import NAMESPACE, load_catalog

pytestmark = pytest.mark.integration

# What Confluent's Java/Python clients send.
CLIENT_HEADERS = {
    "Content-Type": MEDIA_TYPE,
    "Accept": (
        f"{MEDIA_TYPE}, application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5"
    ),
}


def test_confluent_client_flow_over_real_http(registry_url: str) -> None:
    catalog = load_catalog()
    subject = f"{NAMESPACE}.DossierSubmitted"
    schema = catalog.schema_text(subject)
    with httpx.Client(base_url=registry_url, headers=CLIENT_HEADERS, timeout=30) as http:
        assert http.get("/").status_code == 200
        registered = http.post(f"/subjects/{subject}/versions", json={"schema": schema})
        assert registered.status_code == 200, registered.text
        assert registered.headers["content-type"].startswith(MEDIA_TYPE)
        schema_id = registered.json()["id"]

        # A serializer with auto.register=false looks the schema up; a deserializer fetches
        # the writer schema by the id in the message.
        lookup = http.post(f"/subjects/{subject}", json={"schema": schema, "schemaType": "AVRO"})
        assert lookup.json()["id"] == schema_id
        fetched = http.get(f"/schemas/ids/{schema_id}")
        assert json.loads(fetched.json()["schema"]) == json.loads(schema)
        latest = http.get(f"/subjects/{subject}/versions/latest").json()
        assert (latest["subject"], latest["version"], latest["id"]) == (subject, 1, schema_id)
        assert http.get("/subjects").json() == [subject]
        assert http.get("/config").json() == {"compatibilityLevel": "BACKWARD"}
        compatible = http.post(
            f"/compatibility/subjects/{subject}/versions/latest", json={"schema": schema}
        )
        assert compatible.json() == {"is_compatible": True}

        missing = http.get("/subjects/vn.gov.thanhhoa.hub.Nope/versions")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith(MEDIA_TYPE)
        assert missing.json()["error_code"] == 40401
        plain_json = http.post(
            f"/subjects/{subject}/versions",
            content=json.dumps({"schema": schema}),
            headers={"Content-Type": "application/json"},
        )
        assert plain_json.json() == {"id": schema_id}
