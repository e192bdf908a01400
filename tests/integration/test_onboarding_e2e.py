"""A department onboarded purely from a new YAML file and a generated key, end to end:
the real worker routes a dossier to its inbox, its connector delivers it to the SOAP
civil-status system, and the system's answer comes back as a signed event that the worker
verifies and puts in the dossier's timeline."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from connectors.peers import CivilStatusPeer
from registry.keys import generate_agency_key
from registry.store import RegistryStore
from schemas import CloudEvent
from tests.support.dossiers import dossier_code
from tests.support.pipeline import ONE_STOP, Pipeline, settings_env
from tests.support.processes import ChildProcess, python_module

pytestmark = pytest.mark.integration
QUANG_PHU = "000.90.02.H56"  # Phường Quảng Phú: a ward whose civil-status system speaks SOAP
SUBMITTED = "vn.gov.thanhhoa.dossier.submitted"
STATUS_CHANGED = "vn.gov.thanhhoa.dossier.status_changed"
PASSPHRASE = "onboarding-passphrase"


def _config(peer: CivilStatusPeer, key_file: Path) -> dict[str, object]:
    return {
        "name": "civil-status-quangphu",
        "agency": QUANG_PHU,
        "key": {"file": str(key_file), "passphrase_env": "QUANGPHU_KEY_PASSPHRASE"},
        "outbound": {
            "source": "inbox",
            "events": [SUBMITTED],
            "target": {
                "kind": "soap",
                "wsdl": peer.wsdl_url,
                "operation": "RegisterBirth",
                "username": "quangphu",
                "password_env": "QUANGPHU_SOAP_PASSWORD",
                "timeout_s": 5.0,
            },
            "request": {
                "DossierCode": "data.dossier_code",
                "ChildName": "data.form_fields.child_name",
                "BirthDate": "data.form_fields.birth_date",
                "FatherName": {"path": "data.form_fields.father_name", "optional": True},
                "CommuneCode": {"const": "16012"},
                "IdempotencyKey": "event.id",
            },
            "reply": {
                "type": STATUS_CHANGED,
                "data": {
                    "dossier_code": "data.dossier_code",
                    "procedure_code": "data.procedure_code",
                    "agency_id": "connector.agency",
                    "status": "response.Status | int",
                    "changed_at": "now",
                    "note": {"path": "response.Message", "optional": True},
                },
            },
        },
    }


def test_department_onboarded_from_yaml_and_key(pipeline: Pipeline, tmp_path: Path) -> None:
    with RegistryStore(pipeline.settings) as registry:  # as `hub keys generate` does
        key_file, key = generate_agency_key(
            registry, QUANG_PHU, tmp_path / "keys", PASSPHRASE.encode(), now=datetime.now(UTC)
        )
    env = {
        **settings_env(pipeline.settings),
        "QUANGPHU_KEY_PASSPHRASE": PASSPHRASE,
        "QUANGPHU_SOAP_PASSWORD": "s3cret",
    }
    with CivilStatusPeer(username="quangphu", password="s3cret") as peer:
        config = tmp_path / "quangphu.yaml"
        config.write_text(yaml.safe_dump(_config(peer, key_file), allow_unicode=True))
        validate = subprocess.run(
            [sys.executable, "-m", "hub_api.cli", "connector", "validate", str(config)],
            env={**env, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert validate.returncode == 0, validate.stdout + validate.stderr
        connector = ChildProcess(
            "connector-quangphu",
            python_module("hub_api.cli", "connector", "run", str(config)),
            env,
            tmp_path,
        ).start()
        try:
            code = dossier_code(QUANG_PHU)
            pipeline.publish(
                CloudEvent(
                    type=SUBMITTED,
                    source=ONE_STOP,  # filed at the provincial one-stop centre for the ward
                    subject=code,
                    data={
                        "dossier_code": code,
                        "procedure_code": "1.001193",  # birth registration: the ward decides
                        "receiving_agency_id": QUANG_PHU,
                        "applicant": {
                            "kind": "CITIZEN",
                            "full_name": "Lê Văn An",
                            "citizen_id": "038090001234",
                        },
                        "channel": "ONLINE",
                        "submitted_at": datetime.now(UTC),
                        "form_fields": {"child_name": "Lê Minh Khang", "birth_date": "2026-11-30"},
                    },
                )
            )
            deadline = time.monotonic() + 60
            while not peer.accepted("RegisterBirth"):
                assert time.monotonic() < deadline, connector.tail()
                time.sleep(0.2)
            state = pipeline.dossier_state(
                code, lambda s: any(e["actor"] == QUANG_PHU for e in s["timeline"])
            )
        finally:
            connector.stop()
    [delivery] = peer.accepted("RegisterBirth")
    assert delivery.dossier_code == code
    answer = next(e for e in state["timeline"] if e["actor"] == QUANG_PHU)
    assert answer["status"] == state["status"]  # the ward's answer moved the dossier on
    assert key.key_id.startswith(QUANG_PHU)
