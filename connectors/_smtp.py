"""SMTP adapter on smtplib: one e-mail per delivered event (notifications to citizens).

The mapped request has ``to``, ``subject`` and ``body`` (plain text, UTF-8). The event id
becomes the Message-ID (``<event id>@<sender domain>``) so a mail server or mailbox can
spot a repeat. Errors become ours: no connection -> PeerUnavailableError (the delivery
waits in place), 4xx replies and timeouts -> transient (retried, then dead-letter), 5xx
replies (bad recipient...) -> PeerRejectedError.
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from connectors.config import SmtpTarget, secret
from connectors.errors import (
    MappingError,
    PeerRejectedError,
    PeerTimeoutError,
    PeerUnavailableError,
    TransientDeliveryError,
)

__all__ = ["SmtpClient", "build_email"]


def build_email(target: SmtpTarget, request: Mapping[str, Any], key: str) -> EmailMessage:
    """The e-mail of one mapped request (MappingError when ``to`` is missing)."""
    to = str(request.get("to") or "").strip()
    if not to or "@" not in to:
        raise MappingError("to", "request.to", f"no e-mail address in {to!r}")
    message = EmailMessage()
    message["From"] = target.sender
    message["To"] = to
    message["Subject"] = str(request.get("subject") or "")
    message["Message-ID"] = f"<{key}@{target.sender.rpartition('@')[2] or 'hub'}>"
    message.set_content(str(request.get("body") or ""), charset="utf-8")
    return message


class SmtpClient:
    """Sends one e-mail per call, on a fresh connection (notifications are few)."""

    def __init__(self, target: SmtpTarget) -> None:
        self.target = target
        self._password = secret(target.password_env, "target.password_env")

    def send(self, request: dict[str, Any], source: Mapping[str, Any], key: str) -> dict[str, Any]:
        message = build_email(self.target, request, key)
        where = f"{self.target.host}:{self.target.port}"
        try:
            with smtplib.SMTP(
                self.target.host, self.target.port, timeout=self.target.timeout_s
            ) as smtp:
                if self.target.starttls:
                    smtp.starttls()
                if self.target.username:
                    smtp.login(self.target.username, self._password or "")
                refused = smtp.send_message(message)
        except (
            ConnectionRefusedError,
            smtplib.SMTPConnectError,
            smtplib.SMTPServerDisconnected,
        ) as exc:
            raise PeerUnavailableError(f"cannot reach the mail server {where}: {exc}") from exc
        except TimeoutError as exc:
            raise PeerTimeoutError(
                f"no answer from {where} within {self.target.timeout_s}s"
            ) from exc
        except smtplib.SMTPResponseException as exc:
            detail = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
            if 400 <= exc.smtp_code < 500:
                raise TransientDeliveryError(detail, reason=f"smtp-{exc.smtp_code}") from exc
            raise PeerRejectedError(detail, reason=f"smtp-{exc.smtp_code}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise PeerRejectedError(
                f"recipients refused: {exc.recipients}", reason="smtp-rcpt"
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientDeliveryError(f"SMTP error with {where}: {exc!r}") from exc
        if refused:
            raise PeerRejectedError(f"recipients refused: {refused}", reason="smtp-rcpt")
        return {"message_id": message["Message-ID"], "to": message["To"]}

    def close(self) -> None:
        """Nothing held between calls."""
