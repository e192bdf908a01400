"""Cross-checks between catalog entries: references, duplicate codes, linked chains."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from registry._calendar_overrides import CalendarOverride
from registry.errors import CatalogIssue
from registry.model import Agency, AgencyLevel, Procedure, Subscription

__all__ = ["Located", "check_references"]


@dataclass(frozen=True)
class Located:
    """An entry as read, with its file and entry label for error reports."""

    file: str
    entry: str
    model: Agency | Procedure | Subscription | CalendarOverride


Report = Callable[[Located, str, str], None]


def _duplicates(items: Sequence[Located], field: str, what: str, report: Report) -> None:
    first: dict[str, Located] = {}
    for item in items:
        value = str(getattr(item.model, field))
        if value in first:
            report(item, field, f"duplicate {what} {value} (first in {first[value].file})")
        else:
            first[value] = item


def _agencies(items: list[Located], known: set[str], report: Report) -> None:
    parents = {}
    for item in items:
        assert isinstance(item.model, Agency)
        parent = item.model.parent
        if parent is not None and parent not in known:
            report(item, "parent", f"unknown agency {parent}")
        parents[item.model.id] = parent
    for item in items:
        assert isinstance(item.model, Agency)
        seen, current = set(), parents.get(item.model.id)
        while current is not None and current not in seen:
            if current == item.model.id:
                report(item, "parent", "cycle in the agency hierarchy")
                break
            seen.add(current)
            current = parents.get(current)


def _procedure(item: Located, agencies: set[str], procedures: set[str], report: Report) -> None:
    proc = item.model
    assert isinstance(proc, Procedure)
    if proc.responsible_agency is not None and proc.responsible_agency not in agencies:
        report(item, "responsible_agency", f"unknown agency {proc.responsible_agency}")
    for i, agency in enumerate(proc.cooperating_agencies):
        if agency not in agencies:
            report(item, f"cooperating_agencies.{i}", f"unknown agency {agency}")
    if proc.instance_code is not None:
        suffix = proc.instance_code.removeprefix(f"{proc.code}.")
        if suffix not in agencies:
            report(item, "instance_code", f"unknown agency {suffix}")
    total = 0.0
    for i, step in enumerate(proc.chain):
        if step.agency is not None and step.agency not in agencies:
            report(item, f"chain.{i}.agency", f"unknown agency {step.agency}")
        if step.procedure is not None and step.procedure not in procedures:
            report(item, f"chain.{i}.procedure", f"unknown procedure {step.procedure}")
        total += step.deadline_share
    if proc.chain and total > proc.deadline.amount + 1e-9:
        report(
            item,
            "chain",
            f"deadline shares sum to {total:g}, beyond the total {proc.deadline.amount:g}",
        )


def _cycles(items: list[Located], report: Report) -> None:
    """Report each procedure on a reference cycle of linked (liên thông) chains."""
    graph: dict[str, list[str]] = {}
    where: dict[str, Located] = {}
    for item in items:
        assert isinstance(item.model, Procedure)
        if item.model.code not in graph:
            graph[item.model.code] = [s.procedure for s in item.model.chain if s.procedure]
            where[item.model.code] = item
    for start in graph:
        path, visited = [start], {start}
        stack = [iter(graph[start])]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                path.pop()
            elif child == start:
                cycle = " -> ".join([*path, start])
                report(where[start], "chain", f"cycle in linked chain: {cycle}")
                break
            elif child in graph and child not in visited:
                visited.add(child)
                path.append(child)
                stack.append(iter(graph[child]))


def _subscription(item: Located, agencies: set[str], procedures: set[str], report: Report) -> None:
    sub = item.model
    assert isinstance(sub, Subscription)
    if sub.owner is not None and sub.owner not in agencies:
        report(item, "owner", f"unknown agency {sub.owner}")
    if sub.owner is None and sub.subscriber not in agencies:
        report(item, "subscriber", f"unknown agency {sub.subscriber}")
    for i, code in enumerate(sub.procedures):
        if code not in procedures:
            report(item, f"procedures.{i}", f"unknown procedure {code}")


def check_references(items: Sequence[Located]) -> list[CatalogIssue]:
    """Every cross-reference error, in file and entry order."""
    issues: list[CatalogIssue] = []

    def report(item: Located, field: str, message: str) -> None:
        issues.append(CatalogIssue(item.file, item.entry, field, message))

    agencies = [i for i in items if isinstance(i.model, Agency)]
    procedures = [i for i in items if isinstance(i.model, Procedure)]
    subscriptions = [i for i in items if isinstance(i.model, Subscription)]
    calendars = [i for i in items if isinstance(i.model, CalendarOverride)]
    _duplicates(agencies, "id", "agency", report)
    _duplicates(procedures, "code", "procedure", report)
    instanced = [i for i in procedures if getattr(i.model, "instance_code", None)]
    _duplicates(instanced, "instance_code", "instance code", report)
    _duplicates(subscriptions, "id", "subscription", report)
    _duplicates(calendars, "year", "calendar year", report)
    agency_ids = {str(getattr(i.model, "id", "")) for i in agencies}
    procedure_codes = {str(getattr(i.model, "code", "")) for i in procedures}
    _agencies(agencies, agency_ids, report)
    provinces = [i for i in agencies if getattr(i.model, "level", None) is AgencyLevel.PROVINCE]
    if procedures and len(provinces) != 1:
        where = procedures[0]
        report(where, "-", f"need exactly one province agency, found {len(provinces)}")
    for item in procedures:
        _procedure(item, agency_ids, procedure_codes, report)
    _cycles(procedures, report)
    for item in subscriptions:
        _subscription(item, agency_ids, procedure_codes, report)
    return issues
