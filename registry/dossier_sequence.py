"""Dossier codes ``<agency>-YYMMDD-NNNN`` unique across processes, numbered in Kafka.

The last number handed out per receiving agency and day lives in the compacted
``hub.dossier-sequences`` topic; allocation goes through the fenced writer, so two API
replicas or connectors can never hand out the same code. The sequence restarts each day
(Vietnam time), as the national rule says.
"""

from __future__ import annotations

from datetime import datetime

from hub_settings import HubSettings
from registry._compacted_log import FencedLog, LogBacked
from registry.dossier_code import dossier_day, format_dossier_code
from registry.errors import RegistryError
from registry.ids import DossierCode, agency_id
from schemas.topics import TopicNames

__all__ = ["DossierCodeAllocator", "SequenceExhaustedError"]

_MAX = 9999


class SequenceExhaustedError(RegistryError):
    """An agency received more than 9,999 dossiers in one day: the code has 4 digits."""


class DossierCodeAllocator(LogBacked):
    """Hands out the next dossier code of an agency for a day; blocking, thread-safe."""

    def __init__(self, settings: HubSettings, *, timeout_s: float = 30.0) -> None:
        self.topic = TopicNames(settings.topic_prefix).dossier_sequences
        self._last: dict[str, int] = {}
        self._log = FencedLog(
            settings.kafka_client_config(), self.topic, self._apply, timeout_s=timeout_s
        )

    def _apply(self, key: bytes | None, value: bytes | None) -> None:
        if key is not None and value is not None:
            self._last[key.decode()] = int(value)

    def next_code(self, agency: str, received_at: datetime) -> DossierCode:
        """The next free code of ``agency`` on the (Vietnam) day of ``received_at``."""
        day = dossier_day(received_at)
        key = f"{agency_id(agency)}|{day:%y%m%d}"

        def plan() -> tuple[DossierCode, list[tuple[bytes, bytes | None]]]:
            number = self._last.get(key, 0) + 1
            if number > _MAX:
                raise SequenceExhaustedError(f"{agency} has used all {_MAX} codes of {day}")
            return format_dossier_code(agency, day, number), [(key.encode(), str(number).encode())]

        return self._log.write(plan)
