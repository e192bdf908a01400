"""The summary at the end of ``hub dev`` traffic, read from the hub and the peers.

Final statuses come from the hub API, event counts from the hub's topics (``Tally``) and
deliveries from each fake legacy system's own request log, so the summary shows what
really arrived where.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

from connectors.peers import Outcome, RemotePeer
from hub_api.demo_traffic import DossierScript
from hub_api.dev_traffic import DossierApi, PlayResult, Tally
from registry.lifecycle import DossierStatus

__all__ = ["collect_report", "format_report"]

_SETTLE_S = 45.0
_SERVED = {Outcome.ACCEPTED.value, Outcome.ANSWERED.value}
"""A delivery took effect (accepted) or a query was answered (identity checks)."""


def _final_states(
    scripts: list[DossierScript], api: DossierApi, stuck: Mapping[str, str], stop: threading.Event
) -> dict[str, dict[str, Any]]:
    """Each dossier's state in the API, once it reached its planned end (or time out)."""
    states: dict[str, dict[str, Any]] = {}
    pending = {s.code: s.expected_status for s in scripts if s.code not in stuck}
    deadline = time.monotonic() + _SETTLE_S
    while pending and time.monotonic() < deadline and not stop.is_set():
        for code, expected in list(pending.items()):
            state = api.dossier(code)
            if state is not None:
                states[code] = state
                if int(state["status"]) == expected:
                    del pending[code]
        if pending:
            stop.wait(1.0)
    for script in scripts:
        if script.code not in states and (state := api.dossier(script.code)) is not None:
            states[script.code] = state
    return states


def _deliveries(peers: Mapping[str, Mapping[str, str]], stop: threading.Event) -> dict[str, Any]:
    """Served requests per peer and operation, once the counts stop moving."""
    previous: dict[str, dict[str, int]] = {}
    deadline, stable_since = time.monotonic() + 30.0, time.monotonic()
    while not stop.is_set():
        counts: dict[str, dict[str, int]] = {}
        for name, described in peers.items():
            with RemotePeer(described["url"]) as peer:
                served = [e for e in peer.log() if e.outcome in _SERVED]
                counts[name] = dict(Counter(e.operation for e in served))
        if counts != previous:
            previous, stable_since = counts, time.monotonic()
        if time.monotonic() - stable_since >= 4.0 or time.monotonic() > deadline:
            break
        stop.wait(1.0)
    return previous


def collect_report(
    scripts: list[DossierScript],
    result: PlayResult,
    tally: Tally,
    api: DossierApi,
    peers: Mapping[str, Mapping[str, str]],
    urls: Mapping[str, str],
    stop: threading.Event,
) -> dict[str, Any]:
    """Everything the summary shows, as plain JSON-ready data."""
    codes = {s.code for s in scripts}
    tally.settle(result.sent_ids, _SETTLE_S, codes)
    states = _final_states(scripts, api, result.stuck, stop)
    by_status = Counter(int(s["status"]) for s in states.values())
    reached = [s for s in scripts if states.get(s.code, {}).get("status") == s.expected_status]
    late = [s.code for s in scripts if "late" in s.traits]
    sample = next((states[s.code] for s in reached if s.expected_status == 10), None)
    citizen = urls["citizen page"]
    return {
        "dossiers": len(scripts),
        "reached_planned_status": len(reached),
        "stuck": dict(result.stuck),
        "by_status": {str(k): by_status[k] for k in sorted(by_status)},
        "final": {
            s.code: {"expected": s.expected_status, "status": states.get(s.code, {}).get("status")}
            for s in scripts
        },
        "traits": dict(Counter(t for s in scripts for t in s.traits)),
        "procedures": len({s.procedure for s in scripts}),
        "late": {"dossiers": len(late), "overdue_events": len(tally.overdue & set(late))},
        "events": {
            "sent": len(result.sent_ids),
            "accepted": len(tally.accepted),
            "quarantined": sum(tally.reasons(result.sent_ids).values()),
            "quarantine_reasons": dict(tally.reasons(result.sent_ids)),
        },
        "deliveries": _deliveries(peers, stop),
        "elapsed_s": round(result.elapsed_s, 1),
        "urls": dict(urls),
        "citizen_link": (
            f"{citizen}?code={sample['code']}&token={sample['lookup_token']}"
            if sample and sample.get("lookup_token")
            else None
        ),
    }


def format_report(report: Mapping[str, Any]) -> str:
    """The summary as text for the terminal."""
    lines = [
        f"\nDemo traffic summary ({report['elapsed_s']} s of traffic)",
        f"  dossiers     {report['dossiers']} over {report['procedures']} procedures, "
        f"{report['reached_planned_status']} reached their planned status, "
        f"{len(report['stuck'])} stuck",
    ]
    for status, count in report["by_status"].items():
        name = DossierStatus(int(status))
        lines.append(f"    {int(status):>2} {name.name_vi:<38} {count:>5}")
    traits = ", ".join(f"{k} {v}" for k, v in sorted(report["traits"].items()))
    lines.append(f"  mix          {traits}")
    late = report["late"]
    lines.append(
        f"  late         {late['dossiers']} finished past their due date "
        f"({late['overdue_events']} DossierOverdue events from the hub)"
    )
    events = report["events"]
    reasons = ", ".join(f"{k} {v}" for k, v in events["quarantine_reasons"].items())
    lines.append(
        f"  events       {events['sent']} sent, {events['accepted']} accepted, "
        f"{events['quarantined']} quarantined" + (f" ({reasons})" if reasons else "")
    )
    for peer, operations in report["deliveries"].items():
        ops = ", ".join(f"{op} {n}" for op, n in sorted(operations.items())) or "none"
        lines.append(f"  delivered    {peer:<13} {ops}")
    for stuck, why in list(report["stuck"].items())[:5]:
        lines.append(f"  stuck        {stuck}: {why}")
    lines += [f"  {name:<13}{url}" for name, url in report["urls"].items()]
    if report["citizen_link"]:
        lines.append(f"  try          {report['citizen_link']}")
    return "\n".join(lines)
