"""Token buckets per credential, and 429 with Retry-After over HTTP."""

from __future__ import annotations

import pytest

from hub_api.app import create_app
from hub_api.auth import AuthContext, LookupTokens
from hub_api.ratelimit import TokenBuckets
from tests.unit.hub_api.conftest import _CREDENTIALS, Client, Hub, headers


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_rate() -> None:
    clock = Clock()
    buckets = TokenBuckets(rate=2, burst=3, clock=clock)
    assert [buckets.take("k") for _ in range(3)] == [None, None, None]
    assert buckets.take("k") == pytest.approx(0.5)
    assert buckets.take("other") is None  # separate budget per key
    clock.now = 0.5
    assert buckets.take("k") is None
    assert buckets.take("k") == pytest.approx(0.5)
    clock.now = 100
    assert [buckets.take("k") for _ in range(3)] == [None, None, None]


def test_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="rate"):
        TokenBuckets(rate=0, burst=1)


def test_http_429_with_retry_after(hub: Hub) -> None:
    clock = Clock()
    auth = AuthContext(_CREDENTIALS, TokenBuckets(1, 2, clock), LookupTokens(b"x"))
    client = Client(create_app(hub.services.settings, services=hub.services, auth=auth))
    statuses = [client.get("/v1/quarantine", headers=headers("operator")) for _ in range(3)]
    assert [s.status_code for s in statuses] == [200, 200, 429]
    limited = statuses[2]
    assert limited.headers["retry-after"] == "1"
    assert limited.headers["content-type"] == "application/problem+json"
    assert limited.json()["type"].endswith("/rate-limited")
    # another credential has its own budget; anonymous callers share one per address
    assert client.get("/v1/quarantine", headers=headers("admin")).status_code == 200
    clock.now = 1.0
    assert client.get("/v1/quarantine", headers=headers("operator")).status_code == 200


def test_failed_logins_are_rate_limited_per_address(hub: Hub) -> None:
    auth = AuthContext(_CREDENTIALS, TokenBuckets(0.001, 2, Clock()), LookupTokens(b"x"))
    client = Client(create_app(hub.services.settings, services=hub.services, auth=auth))
    wrong = {"X-API-Key": "ops-key.wrong"}
    assert [client.get("/v1/quarantine", headers=wrong).status_code for _ in range(3)] == [
        401,
        401,
        429,
    ]
