"""Small conversions between Faust events, our KafkaMessage, and stored JSON."""

from __future__ import annotations

import base64
import json
from typing import Any

from schemas import KafkaMessage


def message_of(event: Any) -> KafkaMessage:
    """The Kafka record behind a Faust event, as the codec and verifier see it."""
    return KafkaMessage.from_record(event.message)


def origin_of(event: Any) -> str:
    """``topic/partition/offset`` of a Faust event's record: where it came from."""
    message = event.message
    return f"{message.topic}/{message.partition}/{message.offset}"


def message_to_json(message: KafkaMessage) -> str:
    """A record as JSON text (base64 bytes), to keep in a table."""
    b64 = base64.b64encode
    return json.dumps(
        {
            "key": b64(message.key).decode() if message.key is not None else None,
            "value": b64(message.value).decode(),
            "headers": [[name, b64(value).decode()] for name, value in message.headers],
        }
    )


def message_from_json(text: str) -> KafkaMessage:
    data = json.loads(text)
    b64d = base64.b64decode
    return KafkaMessage(
        b64d(data["key"]) if data["key"] is not None else None,
        b64d(data["value"]),
        tuple((name, b64d(value)) for name, value in data["headers"]),
    )
