"""The checked catalog: look up agencies, procedures, subscriptions, the working calendar."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel

from registry._calendar_overrides import CalendarOverride
from registry.calendar import WorkingCalendar
from registry.errors import RegistryError, UnresolvedAgencyError
from registry.ids import AgencyId
from registry.model import Agency, AgencyLevel, ChainStep, Procedure, Subscription

__all__ = ["Catalog", "EntryKind", "EntryModel"]

EntryModel = Agency | Procedure | Subscription | CalendarOverride


class EntryKind(StrEnum):
    """Kind of catalog entry; the key on `hub.registry` is `<kind>:<id>`."""

    AGENCY = "agency"
    PROCEDURE = "procedure"
    SUBSCRIPTION = "subscription"
    CALENDAR = "calendar"


@dataclass(frozen=True)
class Catalog:
    """The Thanh Hóa catalog after cross-checks; read-only."""

    agencies: Mapping[str, Agency] = field(default_factory=dict)
    procedures: Mapping[str, Procedure] = field(default_factory=dict)
    subscriptions: Mapping[str, Subscription] = field(default_factory=dict)
    calendar_overrides: Mapping[int, CalendarOverride] = field(default_factory=dict)

    def agency(self, agency_id: str) -> Agency:
        """The agency with this code; `RegistryError` if there is none."""
        try:
            return self.agencies[agency_id]
        except KeyError:
            raise RegistryError(f"unknown agency {agency_id}") from None

    def procedure(self, code: str) -> Procedure:
        """The procedure by national code or agency procedure code (mã thủ tục của đơn vị)."""
        found = self.procedures.get(code)
        if found is None:
            found = next((p for p in self.procedures.values() if p.instance_code == code), None)
        if found is None:
            raise RegistryError(f"unknown procedure {code}")
        return found

    def _resolve(self, agency: str | None, applicant_commune: str | None, what: str) -> AgencyId:
        if agency is not None:
            return AgencyId(agency)
        commune = self.agencies.get(applicant_commune or "")
        if commune is None or commune.level is not AgencyLevel.COMMUNE:
            raise UnresolvedAgencyError(
                f"{what} is handled by the applicant's commune; "
                f"{applicant_commune!r} is not a known commune"
            )
        return commune.id

    def responsible_agency(self, code: str, applicant_commune: str | None = None) -> AgencyId:
        """The handling agency; commune-level procedures need the applicant's commune (xã)."""
        procedure = self.procedure(code)
        return self._resolve(procedure.responsible_agency, applicant_commune, procedure.code)

    def chain_agencies(self, code: str, applicant_commune: str | None = None) -> list[AgencyId]:
        """The agency of each linked (liên thông) step, in order (empty if not linked)."""
        procedure = self.procedure(code)
        return [self._step_agency(procedure, step, applicant_commune) for step in procedure.chain]

    def _step_agency(self, procedure: Procedure, step: ChainStep, commune: str | None) -> AgencyId:
        return self._resolve(step.agency, commune, f"{procedure.code} step {step.name_vi!r}")

    def subscribers_for(self, event_type: str, procedure: str | None = None) -> list[Subscription]:
        """The subscriptions to this event type (filtered by procedure if one is given)."""
        return [s for s in self.subscriptions.values() if s.wants(event_type, procedure)]

    def calendar(self) -> WorkingCalendar:
        """The working calendar with the catalog's override files."""
        return WorkingCalendar(self.calendar_overrides[y] for y in sorted(self.calendar_overrides))

    def entries(self) -> dict[tuple[EntryKind, str], BaseModel]:
        """Every entry by (kind, code): the input to `diff` and to writing `hub.registry`."""
        result: dict[tuple[EntryKind, str], BaseModel] = {}
        result.update({(EntryKind.AGENCY, k): v for k, v in self.agencies.items()})
        result.update({(EntryKind.PROCEDURE, k): v for k, v in self.procedures.items()})
        result.update({(EntryKind.SUBSCRIPTION, k): v for k, v in self.subscriptions.items()})
        result.update({(EntryKind.CALENDAR, str(k)): v for k, v in self.calendar_overrides.items()})
        return result
