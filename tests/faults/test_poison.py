"""Scenario 6: poison records at a steady rate next to good traffic (same dossiers, same
partitions): garbage bytes, a wrong magic byte, a truncated value, a stolen signature, the
wrong agency's key, an unknown event type, illegal status transitions, events for a dossier
nobody submitted, and replays. Each lands in quarantine with its reason; good traffic is
untouched."""

from __future__ import annotations

import pytest

from hub_settings import HubSettings
from tests.faults.checker import POISON_KINDS, Checker, Model, Sender, Traffic, start_worker

pytestmark = pytest.mark.integration

DOSSIERS = 80  # 480 good events, one poison record after every 6 good ones: 80 poison


def test_poison_records_at_a_steady_rate_are_quarantined(
    settings: HubSettings, fault_pipeline
) -> None:
    pipe = fault_pipeline(settings)
    plan = Traffic(pipe, seed=6).plan(DOSSIERS, poison_every=6)
    model = Model(pipe, plan)
    start_worker(pipe, "worker-1")
    sender = Sender(pipe.settings, pipe.names.ingress, plan, per_s=120).start()
    with Checker(pipe, model, scenario="6 poison at a steady rate") as checker:
        sender.join()
        checker.figures.seconds["sending"] = round(sender.finished - sender.started, 1)
        figures = checker.wait_and_check()
    assert set(figures.poison) == set(POISON_KINDS)
    assert figures.quarantine_reasons.keys() >= {
        "missing_header", "bad_magic_byte", "truncated_value", "bad_signature",
        "key_agency_mismatch", "event_type_mismatch", "illegal_transition", "replayed",
    }  # fmt: skip
    assert figures.delivered == len(model.delivered)
