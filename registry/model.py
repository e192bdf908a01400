"""Catalog model: agencies, procedures (linked ones, *liên thông*, included), subscriptions.

The models check each entry on its own; cross-references between entries are left to
`catalog_loader`, so that every error is reported at once.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
from datetime import datetime, time
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from registry.ids import (
    AgencyId,
    ProcedureCode,
    agency_id,
    instance_code,
    is_agency_id,
    procedure_code,
    system_id,
)

__all__ = [
    "MAX_SUPPORT_RESPONSE_WORKING_DAYS",
    "AccessPattern",
    "Agency",
    "AgencyKey",
    "AgencyLevel",
    "AgencyRef",
    "ChainStep",
    "Contact",
    "Deadline",
    "DeadlineUnit",
    "KeyStatus",
    "Procedure",
    "ProcedureLevel",
    "ProcedureRef",
    "ResponsibleRule",
    "Subscription",
    "SupportResponseDays",
    "matches_any",
]


def _subscriber(value: str) -> str:
    return value if is_agency_id(value) else system_id(value)


AgencyRef = Annotated[AgencyId, AfterValidator(agency_id)]
ProcedureRef = Annotated[ProcedureCode, AfterValidator(procedure_code)]
AccessPattern = Annotated[str, Field(min_length=1, pattern=r"^[a-z0-9.*?_-]+$")]
"""A glob pattern over event types, e.g. `vn.gov.thanhhoa.dossier.*`."""
MAX_SUPPORT_RESPONSE_WORKING_DAYS = 30
SupportResponseDays = Annotated[float, Field(gt=0, le=MAX_SUPPORT_RESPONSE_WORKING_DAYS)]
"""Response deadline of a support request (hỏi đáp, phản ánh) in working days: (0, 30]."""


def matches_any(event_type: str, patterns: list[str]) -> bool:
    """True if the event type matches one of the glob patterns."""
    return any(fnmatch.fnmatchcase(event_type, pattern) for pattern in patterns)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class AgencyLevel(StrEnum):
    """Agency level: province (tỉnh), department (sở/ngành), commune (xã/phường), national."""

    PROVINCE = "province"
    DEPARTMENT = "department"
    COMMUNE = "commune"
    NATIONAL = "national"


class KeyStatus(StrEnum):
    """Public key status: in use, about to be replaced, revoked."""

    ACTIVE = "active"
    RETIRING = "retiring"
    REVOKED = "revoked"


class AgencyKey(_Model):
    """An agency's Ed25519 public key, used to verify event signatures."""

    key_id: str = Field(min_length=1)
    public_key: str
    valid_from: datetime
    valid_until: datetime | None = None
    status: KeyStatus = KeyStatus.ACTIVE
    revoked_at: datetime | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        try:
            raw = base64.b64decode(self.public_key, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("public_key is not valid base64") from exc
        if len(raw) != 32:
            raise ValueError("public_key must be a 32-byte Ed25519 key")
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        if (self.status is KeyStatus.REVOKED) != (self.revoked_at is not None):
            raise ValueError("revoked_at is required exactly when status is revoked")
        return self

    def usable_at(self, moment: datetime) -> bool:
        """Whether the key may verify a signature at `moment`."""
        if self.revoked_at is not None and moment >= self.revoked_at:
            return False
        if moment < self.valid_from:
            return False
        return self.valid_until is None or moment < self.valid_until


class Contact(_Model):
    """An agency's contact point."""

    email: str | None = None
    phone: str | None = None
    address: str | None = None


class Agency(_Model):
    """An agency taking part in the exchange (department, commune, central system)."""

    id: AgencyRef
    name_vi: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    level: AgencyLevel
    parent: AgencyRef | None = None
    contact: Contact | None = None
    connectors: list[str] = Field(default_factory=list)
    keys: list[AgencyKey] = Field(default_factory=list)
    allowed_event_types: list[AccessPattern] = Field(default_factory=list)
    support_response_working_days: SupportResponseDays | None = None
    """Answer support requests it handles within this (unless the procedure sets its own)."""
    example_code: bool = False
    note: str | None = None

    def may_emit(self, event_type: str) -> bool:
        """Access rule: whether the agency may emit this event type."""
        return matches_any(event_type, self.allowed_event_types)

    def usable_keys(self, moment: datetime) -> list[AgencyKey]:
        """The keys usable at `moment`."""
        return [key for key in self.keys if key.usable_at(moment)]


class ProcedureLevel(StrEnum):
    """The level at which a procedure is carried out."""

    PROVINCE = "province"
    COMMUNE = "commune"
    NATIONAL = "national"


class DeadlineUnit(StrEnum):
    """Deadline unit: working days or calendar days."""

    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"


class Deadline(_Model):
    """Processing deadline (thời hạn giải quyết).

    `amount` 0 working days means within the day; `same_day_cutoff` (e.g. 15:00) is the
    latest receipt time for that day to still count (birth registration, *khai sinh*:
    after 15:00 it moves to the next working day).
    """

    amount: float
    unit: DeadlineUnit = DeadlineUnit.WORKING_DAYS
    same_day_cutoff: time | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.amount < 0:
            raise ValueError("deadline must not be negative")
        if self.unit is DeadlineUnit.CALENDAR_DAYS and self.amount != int(self.amount):
            raise ValueError("calendar-day deadlines are whole days")
        return self


class ResponsibleRule(StrEnum):
    """Rule for choosing the handling agency when it is not fixed."""

    BY_APPLICANT_COMMUNE = "by_applicant_commune"


class ChainStep(_Model):
    """One step of a linked procedure (liên thông): an agency (or rule) and its deadline share."""

    name_vi: str = Field(min_length=1)
    agency: AgencyRef | None = None
    rule: ResponsibleRule | None = None
    procedure: ProcedureRef | None = None
    deadline_share: float

    @model_validator(mode="after")
    def _check(self) -> Self:
        if (self.agency is None) == (self.rule is None):
            raise ValueError("a step needs exactly one of agency or rule")
        if self.deadline_share < 0:
            raise ValueError("deadline_share must not be negative")
        return self


class Procedure(_Model):
    """A procedure (thủ tục hành chính) and its provincial instance (mã thủ tục của đơn vị)."""

    code: ProcedureRef
    instance_code: str | None = None
    name_vi: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    level: ProcedureLevel
    responsible_agency: AgencyRef | None = None
    responsible_rule: ResponsibleRule | None = None
    cooperating_agencies: list[AgencyRef] = Field(default_factory=list)
    deadline: Deadline
    fee_vnd: int | None = Field(default=None, ge=0)
    fee_note: str | None = None
    required_documents: list[str] = Field(default_factory=list)
    form_schema: str | None = None
    chain: list[ChainStep] = Field(default_factory=list)
    support_response_working_days: SupportResponseDays | None = None
    """Answer support requests about this procedure (or its dossiers) within this."""
    example_code: bool = False
    note: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        if (self.responsible_agency is None) == (self.responsible_rule is None):
            raise ValueError("set exactly one of responsible_agency or responsible_rule")
        if self.instance_code is not None:
            prefix = f"{self.code}."
            if not self.instance_code.startswith(prefix):
                raise ValueError("instance_code must start with the procedure code")
            instance_code(self.code, self.instance_code.removeprefix(prefix))
        return self

    @property
    def is_linked(self) -> bool:
        """A linked procedure (liên thông): one with a chain of steps."""
        return bool(self.chain)


class Subscription(_Model):
    """An agency's or a system's subscription to events."""

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    subscriber: Annotated[str, AfterValidator(_subscriber)]
    owner: AgencyRef | None = None
    event_types: list[AccessPattern] = Field(min_length=1)
    procedures: list[ProcedureRef] = Field(default_factory=list)
    name_vi: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        if not is_agency_id(self.subscriber) and self.owner is None:
            raise ValueError("a system subscriber needs an owner agency")
        return self

    def wants(self, event_type: str, procedure: str | None) -> bool:
        """Whether this subscription receives the event (type, procedure)."""
        if not matches_any(event_type, self.event_types):
            return False
        return not self.procedures or procedure in self.procedures
