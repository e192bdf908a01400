"""End to end over HTTP: an agency without Kafka submits and updates a dossier through the
API, the real stream worker verifies, tracks and routes it, and the agency and the citizen
read its status (the citizen live, over Server-Sent Events) through the API."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from hub_settings import ApiSettings, HubSettings
from tests.integration.api_support import (
    KEYS,
    LOOKUP_SECRET,
    RunningApi,
    _credentials,
    free_port,
    serve,
    signed_envelope,
)
from tests.support.dossiers import dossier_code
from tests.support.pipeline import JUSTICE, Pipeline

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def api(pipeline: Pipeline, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApi]:
    from hub_api.app import create_app

    workdir: Path = tmp_path_factory.mktemp("api-pipeline")
    settings: HubSettings = pipeline.settings.model_copy(
        update={
            "api": ApiSettings(
                host="127.0.0.1",
                port=free_port(),
                credentials_file=_credentials(workdir / "credentials.json"),
                lookup_secret=SecretStr(LOOKUP_SECRET),
            )
        }
    )
    signer = pipeline.signers[JUSTICE]
    with serve(create_app(settings), settings.api.port):
        yield RunningApi(
            f"http://127.0.0.1:{settings.api.port}",
            settings,
            pipeline.names,
            signer,  # type: ignore[arg-type]
            pipeline.codec,
        )


def _post(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    answer = client.post("/v1/events", json=body)
    assert answer.status_code == 202, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _status(client: httpx.Client, path: str, status: int, timeout_s: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        answer = client.get(path)
        if answer.status_code == 200 and answer.json()["status"] == status:
            found: dict[str, Any] = answer.json()
            return found
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.2)


def test_agency_over_http_citizen_live(api: RunningApi) -> None:
    code = dossier_code(JUSTICE)
    extra = {"procedure_code": "2.000488", "receiving_agency_id": JUSTICE}
    agency = httpx.Client(base_url=api.url, headers={"X-API-Key": KEYS["agency"]}, timeout=30)
    citizen = httpx.Client(base_url=api.url, timeout=30)
    with agency, citizen:
        submitted = _post(agency, signed_envelope(api, code, extra=extra))
        token = submitted["lookup_token"]
        _post(
            agency,
            signed_envelope(
                api,
                code,
                record="DossierAccepted",
                ce_type="vn.gov.thanhhoa.dossier.accepted",
                extra=extra,
            ),
        )
        seen = _status(agency, f"/v1/dossiers/{code}", 2)
        assert seen["responsible_agency"] == JUSTICE
        assert seen["due_at"] is not None

        updates: list[tuple[float, dict[str, Any]]] = []

        def listen() -> None:
            url = f"/v1/citizen/dossiers/{code}/live"
            with citizen.stream("GET", url, params={"token": token}, timeout=60) as stream:
                for line in stream.iter_lines():
                    if line.startswith("data:"):
                        updates.append((time.monotonic(), json.loads(line[5:])))
                        if updates[-1][1]["status"] == 4:
                            return

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        time.sleep(1.0)  # the stream is open and has sent the current state
        sent = time.monotonic()
        _post(
            agency,
            signed_envelope(
                api,
                code,
                record="DossierStatusChanged",
                ce_type="vn.gov.thanhhoa.dossier.status_changed",
                extra={**extra, "status": 4},
            ),
        )
        listener.join(timeout=60)
        assert updates, "no live update arrived"
        arrived, last = updates[-1]
        assert last["status"] == 4
        print(f"status change seen live by the citizen {arrived - sent:.2f} s after the POST")
        assert citizen.get(f"/v1/citizen/dossiers/{code}").status_code == 401  # no token
