"""``hub bench --smoke`` runs end to end and reports every field (never a speed threshold)."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest
from kafka import KafkaAdminClient

from bench import cli
from hub_settings import HubSettings

pytestmark = pytest.mark.integration


def test_smoke_benchmark_completes_and_reports(
    settings: HubSettings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def bench_topics() -> set[str]:
        admin = KafkaAdminClient(**settings.kafka_client_config())
        try:
            return {
                t for t in admin.list_topics() if re.match(r"(b[0-9a-f]{8}\.hub|hub-bench-)", t)
            }
        finally:
            admin.close()

    before = bench_topics()
    parser = argparse.ArgumentParser()
    cli.configure(parser)
    args = parser.parse_args(
        ["--smoke", "--variants", "http", "--duration", "2", "--out", str(tmp_path)]
    )
    result = cli.run(args, settings)

    report = json.loads(Path(result["path"]).read_text())
    rows = report["rows"]
    assert {(r["path"], r["mode"]) for r in rows} == {
        ("baseline", "flood"),
        ("hub", "flood"),
        ("baseline", "paced"),
        ("hub", "paced"),
        ("http", "flood"),
    }
    for row in rows:
        assert row["sent"] > 0
        assert row["delivered"] > 0
        for field in ("throughput_eps", "p50_ms", "p95_ms", "p99_ms"):
            assert isinstance(row[field], float | int)
        names = {p["name"] for p in row["processes"]}
        assert {"worker1", "copier1", "bench"} <= names
        assert ("api" in names) == (row["path"] == "http")
        assert all(p["peak_rss_mb"] > 0 for p in row["processes"])
    hub_flood = next(r for r in rows if r["path"] == "hub" and r["mode"] == "flood")
    assert "ratio" in hub_flood
    assert report["verify"]["pure_us"]["check_event_us"] > 0
    assert report["verify"]["pure_us"]["check_batch_us"] > 0
    http = {r["per_request"]: r for r in rows if r["path"] == "http"}
    assert set(http) == {1, 100}
    for row in http.values():
        assert row["requests"] > 0
        assert row["failures"] == {}
        assert "ratio" in row
        assert row["request_p99_ms"] >= row["request_p50_ms"] > 0
    printed = capsys.readouterr().out
    assert "ratio" in printed
    assert "http/100:" in printed
    assert "Verifier.check" in printed
    assert bench_topics() <= before  # the benchmark's hubs took their topics with them
