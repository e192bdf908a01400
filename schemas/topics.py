"""Names of the hub's Kafka topics, derived from one prefix (``HUB_TOPIC_PREFIX``).

Every process computes topic names here, so a test can run a whole isolated pipeline
under its own prefix on a shared broker.
"""

from __future__ import annotations

from dataclasses import dataclass

DOMAINS = ("dossier", "payment", "document", "support")


@dataclass(frozen=True)
class TopicNames:
    """The topic layout of the design card under ``prefix`` (``hub`` in production)."""

    prefix: str = "hub"

    @property
    def ingress(self) -> str:
        return f"{self.prefix}.ingress"

    def events(self, domain: str) -> str:
        """Accepted events of one domain: ``hub.events.dossier``..."""
        if domain not in DOMAINS:
            raise ValueError(f"unknown event domain {domain!r}; expected one of {DOMAINS}")
        return f"{self.prefix}.events.{domain}"

    def inbox(self, agency_id: str) -> str:
        """An agency's inbox: ``hub.agency.000.00.06.H56.inbox``."""
        return f"{self.prefix}.agency.{agency_id}.inbox"

    @property
    def quarantine(self) -> str:
        return f"{self.prefix}.quarantine"

    @property
    def deadletter(self) -> str:
        return f"{self.prefix}.deadletter"

    @property
    def audit(self) -> str:
        return f"{self.prefix}.audit"

    @property
    def audit_entries(self) -> str:
        """Digests waiting to be chained; one partition, so one chain writer."""
        return f"{self.prefix}.audit.entries"

    @property
    def notifications(self) -> str:
        return f"{self.prefix}.notifications"

    @property
    def registry(self) -> str:
        return f"{self.prefix}.registry"

    @property
    def dossier_state(self) -> str:
        """Compacted: the tracked state of each dossier (key dossier code, value state JSON).

        The documented read path for the API; written only by ``streams.track``.
        """
        return f"{self.prefix}.dossier-state"

    @property
    def dossier_sequences(self) -> str:
        """Compacted: the last dossier-code sequence number per agency and day."""
        return f"{self.prefix}.dossier-sequences"

    def fixed(self) -> list[str]:
        """Every topic that exists regardless of the registry's agencies."""
        return [
            self.ingress,
            *(self.events(domain) for domain in DOMAINS),
            self.quarantine,
            self.deadletter,
            self.audit,
            self.audit_entries,
            self.notifications,
        ]
