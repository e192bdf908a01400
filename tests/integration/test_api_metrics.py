"""``/metrics`` of a real API process (uvicorn on the real broker), scraped over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from hub_settings import HubSettings
from schemas.metric_names import ALL_METRICS, REGISTRY_KINDS
from tests.integration.api_support import AGENCY, RunningApi, running_api, signed_envelope

pytestmark = pytest.mark.integration

SUBMITTED = "vn.gov.thanhhoa.dossier.submitted"
_API_METRICS = {spec.name: spec for spec in ALL_METRICS if "api" in spec.exported_by}


@pytest.fixture(scope="module")
def api(settings: HubSettings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApi]:
    with running_api(settings, tmp_path_factory.mktemp("api-metrics")) as running:
        yield running


Families = dict[str, tuple[str, list[Sample]]]


def _scrape(api: RunningApi) -> Families:
    """Family name (counters with ``_total``) -> (kind, samples) of the API's ``/metrics``;
    prometheus-client's ``*_created`` series left out."""
    answer = httpx.get(f"{api.url}/metrics", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (f.name + "_total" if f.type == "counter" else f.name): (f.type, list(f.samples))
        for f in text_string_to_metric_families(answer.text)
        if not f.name.endswith("_created")
    }


def _value(families: Families, name: str, **labels: str) -> float:
    """The one sample called ``name`` with exactly ``labels``."""
    found = [
        s.value
        for _, samples in families.values()
        for s in samples
        if s.name == name and s.labels == labels
    ]
    assert len(found) == 1, f"{name}{labels}: {len(found)} samples"
    return found[0]


def test_api_metrics_after_one_good_and_one_bad_event(api: RunningApi) -> None:
    good = signed_envelope(api, f"{AGENCY}-261203-8801")
    bad = signed_envelope(api, f"{AGENCY}-261203-8802")
    bad["signature"] = signed_envelope(api, f"{AGENCY}-261203-8803")["signature"]
    with httpx.Client(base_url=api.url, headers=api.headers("agency"), timeout=30) as client:
        assert client.post("/v1/events", json=good).status_code == 202
        refused = client.post("/v1/events", json=bad)
        assert refused.status_code == 422
        assert refused.json()["reason"] == "bad_signature"
        # a replay through the API goes to hub.ingress: the worker counts it, not the API
        listed = client.get("/v1/quarantine", headers=api.headers("operator")).json()
        [item] = [i for i in listed["items"] if i["event_id"] == bad["id"]]
        replay = f"/v1/quarantine/{item['partition']}/{item['offset']}/replay"
        assert client.post(replay, headers=api.headers("operator")).status_code == 202

    families = _scrape(api)
    # process basics, as in the worker and the connectors
    assert _value(families, "process_resident_memory_bytes") > 0
    assert "python_info" in families
    assert "python_gc_objects_collected_total" in families
    # exactly the hub_* families the catalogue says the API exports, with their labels
    hub = {name: kind for name, (kind, _) in families.items() if name.startswith("hub_")}
    assert hub == {name: spec.kind for name, spec in _API_METRICS.items()}
    for name, spec in _API_METRICS.items():
        samples = families[name][1]
        assert samples, f"{name} has no sample"
        for sample in samples:
            assert set(sample.labels) - {"le"} == set(spec.labels), f"{name}: {sample}"
    assert "hub_quarantine_depth" not in families  # the worker's

    # the refused event entered the hub here and went no further; the good one is the
    # worker's to count when it reads hub.ingress (so a sum over processes counts it once)
    in_total = [s for s in families["hub_events_in_total"][1] if s.name == "hub_events_in_total"]
    assert [(s.labels, s.value) for s in in_total] == [({"type": SUBMITTED}, 1.0)]
    assert (
        _value(families, "hub_events_quarantined_total", reason="bad_signature", stage="api") == 1
    )
    assert _value(families, "hub_api_events_total", outcome="accepted") == 1
    assert _value(families, "hub_api_events_total", outcome="quarantined") == 1
    assert _value(families, "hub_api_replays_total", kind="quarantine") == 1
    requests = "hub_api_requests_total"
    assert _value(families, requests, method="POST", route="/v1/events", status="202") == 1
    assert _value(families, requests, method="POST", route="/v1/events", status="422") == 1
    assert _value(families, "hub_api_request_seconds_count", route="/v1/events") == 2
    # its own views of the registry and the schema store, read at scrape time
    entries = {s.labels["kind"]: s.value for s in families["hub_registry_entries"][1]}
    assert list(entries) == list(REGISTRY_KINDS)
    assert entries["agency"] > 0
    assert entries["procedure"] > 0
    assert _value(families, "hub_schema_registry_subjects") > 0
    assert _value(families, "hub_api_dossiers") >= 0
    assert _value(families, "hub_api_sse_clients") == 0
