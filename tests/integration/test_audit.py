"""The audit chain written by the real worker verifies with `hub audit verify`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hub_api.audit_cli import verify_audit
from streams.audit_log import read_audit, read_entries
from tests.support.dossiers import dossier_code, dossier_event
from tests.support.pipeline import HAC_THANH, Pipeline, settings_env

pytestmark = pytest.mark.integration


def test_every_accepted_and_quarantined_message_is_chained(pipeline: Pipeline) -> None:
    code = dossier_code(HAC_THANH)
    good = dossier_event("DossierSubmitted", HAC_THANH, code, receiving_agency_id=HAC_THANH)
    more = [
        dossier_event("DossierSubmitted", HAC_THANH, c, receiving_agency_id=HAC_THANH)
        for c in (
            dossier_code(HAC_THANH) for _ in range(pipeline.settings.streams.audit_checkpoint_every)
        )
    ]
    pipeline.send(pipeline.sign_batch(more, HAC_THANH))  # enough entries for a checkpoint
    pipeline.publish(good)
    pipeline.send([pipeline.sign(good)])  # the same again: a replay, quarantined

    def chained(records: list) -> bool:  # type: ignore[type-arg]
        return (
            sum(
                b'"outcome": "quarantined"' in r.value and good.id.encode() in r.value
                for r in records
            )
            >= 1
        )

    pipeline.read(pipeline.names.audit, chained)
    report = verify_audit(pipeline.settings)
    assert report.intact, report.summary()
    assert report.outcomes["accepted"] >= 1
    assert report.outcomes["quarantined"] >= 1
    assert report.checkpoints >= 1  # signed with the hub's key, checked against the registry

    cli = subprocess.run(
        [sys.executable, "-m", "hub_api.cli", "audit", "verify"],
        env={**settings_env(pipeline.settings), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert cli.returncode == 0, cli.stderr
    assert "audit chain intact" in cli.stdout


def test_the_chain_holds_every_entries_offset_and_reads_them_back(pipeline: Pipeline) -> None:
    """Each chain record names its entry's offset in the entries topic; the offsets run on
    without a gap, and reading an offset range back (what the chain's owner does when the
    stream skipped records) returns those very entries."""
    code = dossier_code(HAC_THANH)
    event = dossier_event("DossierSubmitted", HAC_THANH, code, receiving_agency_id=HAC_THANH)
    pipeline.send([pipeline.sign(event)])
    pipeline.read(pipeline.names.audit, lambda rs: any(event.id.encode() in r.value for r in rs))
    by_seq = {r["seq"]: r for r in read_audit(pipeline.settings) if r["kind"] == "entry"}
    entries = list(by_seq.values())  # a record repeated byte for byte counts once
    offsets = [r["src"] for r in entries]
    assert offsets == list(range(offsets[0], offsets[0] + len(offsets)))  # no gap, no repeat
    assert offsets[0] == 0  # the chain started with the topic's first entry
    tail = entries[-5:]
    read_back = read_entries(pipeline.settings, tail[0]["src"], tail[-1]["src"] + 1)
    assert [src for src, _ in read_back] == [r["src"] for r in tail]
    assert [json.loads(value) for _, value in read_back] == [r["entry"] for r in tail]
