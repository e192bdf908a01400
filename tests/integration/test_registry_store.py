"""The registry and dossier codes in Kafka: apply/diff/show, keys kept, codes unique."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub_settings import HubSettings
from registry.catalog_loader import load_catalog
from registry.dossier_sequence import DossierCodeAllocator
from registry.keys import generate_agency_key
from registry.store import RegistryStore
from tests.support.pipeline import settings_env

pytestmark = pytest.mark.integration
HAC_THANH = "000.17.22.H56"


@pytest.fixture
def isolated(settings: HubSettings) -> HubSettings:
    return settings.model_copy(update={"topic_prefix": f"r{uuid.uuid4().hex[:8]}.hub"})


def _hub(settings: HubSettings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub_api.cli", *args],
        env={**settings_env(settings), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_apply_publishes_only_changes_and_keeps_registered_keys(
    isolated: HubSettings, tmp_path: Path
) -> None:
    catalog = load_catalog()
    with RegistryStore(isolated) as store:
        first = store.apply(catalog)
        assert len(first) == len(catalog.entries())
        generate_agency_key(store, HAC_THANH, tmp_path, b"pw", now=datetime.now(UTC))
        assert store.apply(catalog) == []  # unchanged catalog: nothing published, key kept
        assert len(store.catalog().agency(HAC_THANH).keys) == 1
    with RegistryStore(isolated) as again:  # a new process rebuilds the same view
        assert again.catalog().agency(HAC_THANH).keys
        assert set(again.catalog().procedures) == set(catalog.procedures)


def test_cli_diff_apply_show_and_catalog_errors(isolated: HubSettings, tmp_path: Path) -> None:
    diff = _hub(isolated, "registry", "diff")
    assert diff.returncode == 0, diff.stderr
    assert "+ procedure:1.001193" in diff.stdout
    applied = _hub(isolated, "registry", "apply")
    assert applied.returncode == 0, applied.stderr
    assert _hub(isolated, "registry", "diff").stdout.strip() == ""
    shown = _hub(isolated, "registry", "show", "procedure", "1.001193")
    assert '"fee_vnd": 8000' in shown.stdout

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "procedures:\n"
        "  - code: '1.999999'\n    name_vi: Thử\n    name_en: Test\n    level: commune\n"
        "    responsible_agency: 000.99.99.H56\n    deadline: {amount: -1, unit: working_days}\n"
        "agencies:\n  - id: not-an-id\n    name_vi: X\n    name_en: X\n    level: commune\n",
        encoding="utf-8",
    )
    refused = _hub(isolated, "registry", "apply", str(bad))
    assert refused.returncode == 2
    assert "nothing was published" in refused.stderr
    for needle in ("bad.yaml", "deadline", "not-an-id"):
        assert needle in refused.stderr
    assert _hub(isolated, "registry", "diff").stdout.strip() == ""


def test_dossier_codes_are_unique_across_processes(isolated: HubSettings) -> None:
    moment = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
    codes: list[str] = []
    lock = threading.Lock()

    def allocate() -> None:
        with DossierCodeAllocator(isolated) as allocator:  # each its own writer, fencing
            for _ in range(5):
                code = allocator.next_code(HAC_THANH, moment)
                with lock:
                    codes.append(code)

    threads = [threading.Thread(target=allocate) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(codes) == 15
    assert sorted(codes) == [f"{HAC_THANH}-261203-{n:04d}" for n in range(1, 16)]
