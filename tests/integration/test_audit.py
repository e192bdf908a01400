"""The audit chain written by the real worker verifies with `hub audit verify`."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hub_api.audit_cli import verify_audit
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
