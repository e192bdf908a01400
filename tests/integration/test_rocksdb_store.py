"""The production table store: a worker on RocksDB (rocksdict) keeps dossiers across restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub_settings import HubSettings
from tests.support.dossiers import dossier_code, dossier_event
from tests.support.pipeline import HAC_THANH, build_pipeline

pytestmark = pytest.mark.integration


def test_rocksdb_tables_survive_a_restart(settings: HubSettings, tmp_path: Path) -> None:
    hub = build_pipeline(settings, tmp_path, table_store="rocksdb://")
    try:
        hub.start_worker()
        code = dossier_code(HAC_THANH)
        proc = {"procedure_code": "1.900013"}
        # Received now (the example data's 2025 dates would make it overdue at once, and a
        # DossierOverdue would join the timeline whenever the scan happens to run).
        now = datetime.now(UTC)
        hub.publish(
            dossier_event(
                "DossierSubmitted",
                HAC_THANH,
                code,
                receiving_agency_id=HAC_THANH,
                submitted_at=now,
                **proc,
            ),
            dossier_event(
                "DossierAccepted",
                HAC_THANH,
                code,
                accepted_at=now,
                due_at=now + timedelta(days=7),
                **proc,
            ),
        )
        hub.dossier_state(code, lambda s: s["status"] == 2)
        assert list((tmp_path / "streams").rglob("*.sst")) or list(
            (tmp_path / "streams").rglob("CURRENT")
        ), "no RocksDB files: the worker did not use the rocksdb store"
        hub.workers.pop().stop()
        hub.start_worker("worker-again")
        hub.publish(dossier_event("DossierStatusChanged", HAC_THANH, code, status=4, **proc))
        state = hub.dossier_state(code, lambda s: s["status"] == 4)
        assert [e["status"] for e in state["timeline"]] == [1, 2, 4]
    finally:
        hub.close()
