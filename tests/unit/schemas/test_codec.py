"""EventCodec: CloudEvents binary mode + Confluent wire format, evolution, bad input."""

from __future__ import annotations

import contextlib
import json
import struct
from dataclasses import FrozenInstanceError, replace
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import (
    EVENT_TYPES,
    NAMESPACE,
    BadMagicByteError,
    CloudEvent,
    DecodeError,
    EncodeError,
    EventCodec,
    EventTypeMismatchError,
    InMemoryResolver,
    InvalidHeaderError,
    KafkaMessage,
    MissingHeaderError,
    TruncatedValueError,
    UnknownSchemaIdError,
    ValueMismatchError,
    load_catalog,
)
from schemas.examples import example_event

STATUS = f"{NAMESPACE}.DossierStatusChanged"
STATUS_TYPE = "vn.gov.thanhhoa.dossier.status_changed"


def _resolver() -> InMemoryResolver:
    resolver = InMemoryResolver()
    catalog = load_catalog()
    for name in catalog.record_names():
        resolver.register(name, catalog.schema_text(name))
    return resolver


@pytest.fixture(scope="module")
def codec() -> EventCodec:
    return EventCodec(_resolver())


def _without_note(text: str) -> str:
    schema = json.loads(text)
    schema["fields"] = [f for f in schema["fields"] if f["name"] != "note"]
    return json.dumps(schema)


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda e: e.record)
def test_round_trip_every_event(codec: EventCodec, event_type: object) -> None:
    event = example_event(event_type)  # type: ignore[arg-type]
    decoded = codec.decode(codec.encode(event))
    assert decoded.data == event.data
    assert (decoded.id, decoded.type, decoded.source, decoded.subject, decoded.time) == (
        event.id, event.type, event.source, event.subject, event.time,
    )  # fmt: skip
    assert decoded.schema_id == codec.writer_id(event.type)


def test_message_layout(codec: EventCodec) -> None:
    event = example_event()
    message = codec.encode(event)
    assert message.key == event.subject.encode()
    headers = dict(message.headers)
    assert headers["ce_specversion"] == b"1.0"
    assert headers["content-type"] == b"application/avro"
    assert headers["ce_type"] == b"vn.gov.thanhhoa.dossier.submitted"
    assert headers["ce_source"] == b"000.17.22.H56"
    assert headers["ce_time"].endswith(b"Z")
    assert message.value[0] == 0
    assert struct.unpack(">I", message.value[1:5])[0] == codec.writer_id(event.type)


def test_extra_headers_survive_untouched(codec: EventCodec) -> None:
    signature = (("ce_sigkeyid", b"000.17.22.H56#1"), ("ce_sig", bytes(range(256))))
    event = replace(example_event(), extra_headers=signature)
    decoded = codec.decode(codec.encode(event))
    assert decoded.extra_headers == signature
    assert decoded.header("ce_sig") == bytes(range(256))
    again = codec.encode(decoded)
    assert again.headers[-2:] == signature
    assert again.value == codec.encode(event).value


def test_newer_consumer_reads_older_event() -> None:
    resolver = _resolver()
    old_text = _without_note(load_catalog().schema_text(STATUS))
    resolver.register(STATUS, old_text)
    old_producer = EventCodec(resolver, writer_schemas={STATUS: old_text})
    event = example_event(STATUS_TYPE)
    old_data = {k: v for k, v in event.data.items() if k != "note"}
    message = old_producer.encode(replace(event, data=old_data))
    consumer = EventCodec(resolver)
    decoded = consumer.decode(message)
    assert decoded.data["note"] is None
    assert decoded.data["status"] == 4
    assert consumer.decode(message) == decoded  # the cached reader resolves the same way


def test_older_consumer_reads_newer_event() -> None:
    resolver = _resolver()
    old_text = _without_note(load_catalog().schema_text(STATUS))
    old_consumer = EventCodec(resolver, reader_schemas={STATUS: old_text})
    message = EventCodec(resolver).encode(example_event(STATUS_TYPE))
    decoded = old_consumer.decode(message)
    assert "note" not in decoded.data
    assert decoded.data["previous_status"] == 2


def test_decoded_event_is_an_ordinary_frozen_cloud_event(codec: EventCodec) -> None:
    signature = (("ce_sig", b"s"),)
    event = replace(example_event(STATUS_TYPE), extra_headers=signature)
    decoded = codec.decode(codec.encode(event))
    assert type(decoded) is CloudEvent
    assert decoded == replace(event, schema_id=codec.writer_id(event.type))
    assert repr(decoded).startswith("CloudEvent(type=")
    with pytest.raises(FrozenInstanceError):
        decoded.type = "x"  # type: ignore[misc]
    assert replace(decoded, subject="other").subject == "other"


def test_header_order_and_optional_content_type_do_not_matter(codec: EventCodec) -> None:
    signature = (("ce_sigkeyid", b"000.17.22.H56#1"), ("ce_sig", b"s"))
    message = codec.encode(replace(example_event(STATUS_TYPE), extra_headers=signature))
    expected = codec.decode(message)
    reordered = (*signature, *reversed(message.headers[:7]))
    assert codec.decode(replace(message, headers=reordered)) == expected
    no_content_type = tuple(h for h in message.headers if h[0] != "content-type")
    assert codec.decode(replace(message, headers=no_content_type)) == expected


def test_value_as_bytearray_or_memoryview(codec: EventCodec) -> None:
    message = _good(codec)
    expected = codec.decode(message)
    fresh = EventCodec(_resolver())  # the first message of a schema id takes the slow path
    for value in (bytearray(message.value), memoryview(message.value), message.value):
        assert fresh.decode(replace(message, value=value)).data == expected.data  # type: ignore[arg-type]


def test_from_record_accepts_client_records(codec: EventCodec) -> None:
    message = codec.encode(example_event())
    kafka_python = SimpleNamespace(
        key=message.key, value=message.value, headers=list(message.headers)
    )
    assert KafkaMessage.from_record(kafka_python) == message
    faust_event = SimpleNamespace(
        message=SimpleNamespace(key=message.key, value=message.value, headers=dict(message.headers))
    )
    assert codec.decode(KafkaMessage.from_record(faust_event)).data == example_event().data


def test_encode_rejects_data_that_does_not_fit(codec: EventCodec) -> None:
    event = example_event(STATUS_TYPE)
    with pytest.raises(EncodeError):
        codec.encode(replace(event, data={**event.data, "status": "four"}))
    with pytest.raises(EncodeError):
        codec.encode(replace(event, data={"dossier_code": "x"}))


def _good(codec: EventCodec) -> KafkaMessage:
    return codec.encode(example_event(STATUS_TYPE))


def _with_headers(message: KafkaMessage, **changes: bytes | None) -> KafkaMessage:
    headers = [(k, changes.get(k.replace("-", "_"), v)) for k, v in message.headers]
    kept = tuple((k, v) for k, v in headers if v is not None)
    return replace(message, headers=kept)


@pytest.mark.parametrize(
    "header", ["ce_id", "ce_source", "ce_type", "ce_subject", "ce_time", "ce_specversion"]
)
def test_missing_header_is_named(codec: EventCodec, header: str) -> None:
    message = _good(codec)
    broken = replace(message, headers=tuple(h for h in message.headers if h[0] != header))
    with pytest.raises(MissingHeaderError) as caught:
        codec.decode(broken)
    assert caught.value.header == header
    assert header in str(caught.value)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"ce_time": b"yesterday"}, InvalidHeaderError),
        ({"ce_time": b"2025-07-15T09:30:00"}, InvalidHeaderError),
        ({"ce_specversion": b"0.3"}, InvalidHeaderError),
        ({"ce_id": b"\xff\xfe"}, InvalidHeaderError),
        ({"content_type": b"application/json"}, InvalidHeaderError),
        ({"ce_type": b"vn.gov.thanhhoa.payment.requested"}, EventTypeMismatchError),
    ],
)
def test_bad_headers(codec: EventCodec, changes: dict[str, bytes], error: type) -> None:
    with pytest.raises(error):
        codec.decode(_with_headers(_good(codec), **changes))


def test_duplicated_header(codec: EventCodec) -> None:
    message = _good(codec)
    with pytest.raises(InvalidHeaderError, match="more than once"):
        codec.decode(replace(message, headers=(*message.headers, ("ce_type", b"x"))))


def test_unknown_type_with_unknown_record_decodes_with_writer_schema() -> None:
    resolver = _resolver()
    text = json.dumps({"type": "record", "name": "Future", "namespace": NAMESPACE,
                       "fields": [{"name": "x", "type": "int"}]})  # fmt: skip
    schema_id = resolver.register(f"{NAMESPACE}.Future", text)
    codec = EventCodec(resolver)
    good = _good(codec)
    message = _with_headers(
        replace(good, value=bytes([0]) + struct.pack(">I", schema_id) + b"\x04"),
        ce_type=b"vn.gov.thanhhoa.support.future",
    )
    assert codec.decode(message).data == {"x": 2}


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (b"", TruncatedValueError),
        (b"\x00\x00\x00", TruncatedValueError),
        (b"\x01\x00\x00\x00\x01rest", BadMagicByteError),
        (b"{json}", BadMagicByteError),
        (b"\x00\x00\x00\x99\x99", UnknownSchemaIdError),
    ],
)
def test_bad_framing(codec: EventCodec, value: bytes, error: type) -> None:
    with pytest.raises(error):
        codec.decode(replace(_good(codec), value=value))


def test_value_not_matching_writer_schema(codec: EventCodec) -> None:
    good = _good(codec)
    with pytest.raises(ValueMismatchError):
        codec.decode(replace(good, value=good.value[:12]))  # cut inside the record
    with pytest.raises(ValueMismatchError, match="left after"):
        codec.decode(replace(good, value=good.value + b"\x00"))


def test_resolver_failure_is_typed() -> None:
    class Broken:
        def schema_by_id(self, schema_id: int) -> str:
            raise ConnectionError("registry down")

        def lookup_id(self, subject: str, schema: str) -> int:
            return 1

    codec = EventCodec(Broken())
    message = codec.encode(example_event(STATUS_TYPE))
    with pytest.raises(UnknownSchemaIdError, match="registry down"):
        codec.decode(message)


_HEADER_NAMES = st.sampled_from(
    ["ce_id", "ce_source", "ce_type", "ce_subject", "ce_time", "ce_specversion", "content-type",
     "ce_sig", "x"]
)  # fmt: skip


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    key=st.one_of(st.none(), st.binary(max_size=40)),
    value=st.binary(max_size=200),
    headers=st.lists(st.tuples(_HEADER_NAMES, st.binary(max_size=40)), max_size=10),
)
def test_random_input_raises_only_decode_errors(
    key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]
) -> None:
    codec = EventCodec(_RESOLVER)
    with contextlib.suppress(DecodeError):
        codec.decode(KafkaMessage(key, value, tuple(headers)))


_RESOLVER = _resolver()
_GOOD = EventCodec(_RESOLVER).encode(example_event())


@settings(max_examples=400, deadline=None)
@given(
    cut=st.integers(min_value=5, max_value=len(_GOOD.value)),
    noise=st.binary(max_size=64),
    schema_id=st.integers(min_value=0, max_value=25),
)
def test_corrupted_bodies_raise_only_decode_errors(cut: int, noise: bytes, schema_id: int) -> None:
    value = b"\x00" + struct.pack(">I", schema_id) + _GOOD.value[5:cut] + noise
    with contextlib.suppress(DecodeError):
        EventCodec(_RESOLVER).decode(replace(_GOOD, value=value))


def test_cloud_event_defaults() -> None:
    event = CloudEvent(type=STATUS_TYPE, source="000.00.06.H56", subject="d", data={})
    assert event.timestamp.tzinfo is not None
    assert len(event.id) == 36
