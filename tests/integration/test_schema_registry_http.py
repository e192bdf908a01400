"""The registry under uvicorn on a random local port, spoken to like a Confluent client."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from hub_api.routers.schema_registry import MEDIA_TYPE, attach_schema_registry
from hub_settings import HubSettings
from schemas import NAMESPACE, load_catalog

pytestmark = pytest.mark.integration

# What Confluent's Java/Python clients send.
CLIENT_HEADERS = {
    "Content-Type": MEDIA_TYPE,
    "Accept": (
        f"{MEDIA_TYPE}, application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5"
    ),
}


@pytest.fixture
def registry_url(settings: HubSettings, new_topic: Callable[..., str]) -> Iterator[str]:
    """A real uvicorn server whose lifespan starts and stops the schema store."""
    app = FastAPI()
    attach_schema_registry(app, settings, topic=new_topic("_schemas", compacted=True))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive(), "uvicorn exited during start"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/schema-registry"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


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
