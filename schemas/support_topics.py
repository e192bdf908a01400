"""Topic names of citizen support and notifications, under the hub's topic prefix.

- ``<prefix>.support.commands``: what the API asks for (submit, answer, close), keyed like
  the request's events (the dossier code when the request is about a dossier, so it is
  co-partitioned with the dossier table); only ``streams.support`` reads it and signs.
- ``<prefix>.support-state`` (compacted): each request's state, the API's read path.
- ``<prefix>.notifications.<channel>``: notifications ready for one channel's connector
  (``hub.notifications`` carries every notification before deduplication).
"""

from __future__ import annotations

CHANNELS = ("sms", "email", "push")


def support_commands(prefix: str) -> str:
    return f"{prefix}.support.commands"


def support_state(prefix: str) -> str:
    return f"{prefix}.support-state"


def notification_channel(prefix: str, channel: str) -> str:
    """``hub.notifications.sms``... for the connector of one channel."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown notification channel {channel!r}; expected one of {CHANNELS}")
    return f"{prefix}.notifications.{channel}"
