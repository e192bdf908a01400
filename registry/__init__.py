"""Registry: agencies, procedures, linked chains (liên thông), event subscriptions, the
working calendar and the dossier (hồ sơ) lifecycle. This is the pure part (no Kafka); the
store on `hub.registry` is built on top of it.
"""

from registry._calendar_overrides import CalendarOverride, DayOff, MakeUpWorkday
from registry._catalog import Catalog, EntryKind
from registry.calendar import VN_TZ, WORKING_DAY, WorkingCalendar, is_overdue
from registry.catalog_loader import DEFAULT_CATALOG_DIR, build_catalog, load_catalog
from registry.diff import Change, ChangeAction, diff_catalogs, entry_key
from registry.dossier_code import (
    ParsedDossierCode,
    dossier_day,
    format_dossier_code,
    parse_dossier_code,
)
from registry.errors import (
    CalendarError,
    CatalogError,
    CatalogIssue,
    IllegalTransitionError,
    MalformedIdentifierError,
    RegistryError,
    UnresolvedAgencyError,
)
from registry.ids import AgencyId, DossierCode, InstanceCode, ProcedureCode, SystemId
from registry.lifecycle import (
    DossierEvent,
    DossierState,
    DossierStatus,
    EventType,
    apply,
    national_portal_word,
)
from registry.model import Agency, AgencyKey, Deadline, DeadlineUnit, Procedure, Subscription

__all__ = [
    "DEFAULT_CATALOG_DIR",
    "VN_TZ",
    "WORKING_DAY",
    "Agency",
    "AgencyId",
    "AgencyKey",
    "CalendarError",
    "CalendarOverride",
    "Catalog",
    "CatalogError",
    "CatalogIssue",
    "Change",
    "ChangeAction",
    "DayOff",
    "Deadline",
    "DeadlineUnit",
    "DossierCode",
    "DossierEvent",
    "DossierState",
    "DossierStatus",
    "EntryKind",
    "EventType",
    "IllegalTransitionError",
    "InstanceCode",
    "MakeUpWorkday",
    "MalformedIdentifierError",
    "ParsedDossierCode",
    "Procedure",
    "ProcedureCode",
    "RegistryError",
    "Subscription",
    "SystemId",
    "UnresolvedAgencyError",
    "WorkingCalendar",
    "apply",
    "build_catalog",
    "diff_catalogs",
    "dossier_day",
    "entry_key",
    "format_dossier_code",
    "is_overdue",
    "load_catalog",
    "national_portal_word",
    "parse_dossier_code",
]
