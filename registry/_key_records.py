"""Conversions between the registry's AgencyKey and the security package's PublicKeyInfo."""

from __future__ import annotations

from registry.model import AgencyKey, KeyStatus
from security import KeyStatus as SecurityKeyStatus
from security import PublicKeyInfo, decode_public_key, encode_public_key


def to_public_key_info(agency_id: str, key: AgencyKey) -> PublicKeyInfo:
    return PublicKeyInfo(
        key_id=key.key_id,
        agency_id=agency_id,
        public_key=decode_public_key(key.public_key),
        valid_from=key.valid_from,
        valid_until=key.valid_until,
        status=SecurityKeyStatus(key.status.value),
        revoked_at=key.revoked_at,
    )


def to_agency_key(info: PublicKeyInfo) -> AgencyKey:
    return AgencyKey(
        key_id=info.key_id,
        public_key=encode_public_key(info.public_key),
        valid_from=info.valid_from,
        valid_until=info.valid_until,
        status=KeyStatus(info.status.value),
        revoked_at=info.revoked_at,
    )
