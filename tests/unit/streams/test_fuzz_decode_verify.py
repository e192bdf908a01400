"""Fuzzing the ingress path (hypothesis): whatever bytes and headers arrive, the codec
raises only its typed DecodeErrors and the verifier only returns a Verdict; and no
mutation of a signed event's signed content is ever accepted."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry import Catalog
from registry.catalog_loader import load_catalog
from registry.publishing import signed_batch, signed_message
from schemas import CloudEvent, DecodeError, EventCodec, InMemoryResolver, KafkaMessage
from schemas import load_catalog as load_schemas
from schemas.examples import example_data
from security import (
    SIG_ALG_HEADER,
    SIGNATURE_HEADERS,
    SIGNED_HEADERS,
    FileSigner,
    PublicKeyInfo,
    generate_key_pair,
)
from streams.verification import Verdict, Verifier

JUSTICE = "000.00.06.H56"  # Sở Tư pháp
STATUS_CHANGED = "vn.gov.thanhhoa.dossier.status_changed"
CODE = f"{JUSTICE}-260301-0001"
AT = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
KNOWN_HEADERS = [
    *SIGNED_HEADERS,
    *SIGNATURE_HEADERS,
    "ce_specversion",
    "x-unrelated",
]
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class _Registry:
    """The registry view a verifier needs: the catalog and one agency key."""

    def __init__(self, catalog: Catalog, key: PublicKeyInfo) -> None:
        self._catalog, self._keys = catalog, {key.key_id: key}

    def catalog(self) -> Catalog:
        return self._catalog

    def keys(self) -> dict[str, PublicKeyInfo]:
        return self._keys


def _codec() -> EventCodec:
    resolver = InMemoryResolver()
    schemas = load_schemas()
    for name in schemas.record_names():
        resolver.register(name, schemas.schema_text(name))
    return EventCodec(resolver)


CODEC = _codec()
PRIVATE, PUBLIC = generate_key_pair(JUSTICE, now=datetime(2025, 1, 1, tzinfo=UTC))
SIGNER = FileSigner(PRIVATE, JUSTICE, PUBLIC.key_id)
VERIFIER = Verifier(CODEC, _Registry(load_catalog(), PUBLIC), max_bytes=100_000, max_skew_s=300.0)


def _event(n: int) -> CloudEvent:
    data = {**example_data("DossierStatusChanged"), "dossier_code": CODE, "status": 4}
    stamp = AT.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return CloudEvent(
        type=STATUS_CHANGED, source=JUSTICE, subject=CODE, data=data, time=stamp,
        id=f"00000000-0000-4000-8000-{n:012d}",
    )  # fmt: skip


SINGLE = signed_message(CODEC, SIGNER, _event(1))
BATCH = signed_batch(CODEC, SIGNER, [_event(n) for n in range(2, 6)])
ORIGINALS = [SINGLE, *BATCH]


def _signed_content(message: KafkaMessage) -> tuple[object, ...]:
    """What the signature covers (and how it is carried): key, value, signed headers and
    signature headers, with ``ce_sigalg`` defaulted to ``ed25519`` when absent, as
    docs/signing.md specifies."""
    covered = set(SIGNED_HEADERS) | set(SIGNATURE_HEADERS)
    headers = [h for h in message.headers if h[0] in covered]
    if not any(name == SIG_ALG_HEADER for name, _ in headers):
        headers.append((SIG_ALG_HEADER, b"ed25519"))
    return (message.key, message.value, sorted(headers))


def _decode(message: KafkaMessage) -> None:
    with contextlib.suppress(DecodeError):  # the only kind of failure allowed
        CODEC.decode(message)


def _check(message: KafkaMessage) -> Verdict:
    verdict = VERIFIER.check(message, AT)  # must not raise, whatever the message
    assert isinstance(verdict, Verdict)
    assert verdict.accepted == (verdict.event is not None)
    if not verdict.accepted:
        assert isinstance(verdict.reason, str)
        assert verdict.reason
    return verdict


def test_the_unmutated_events_are_accepted() -> None:
    for message in ORIGINALS:
        assert _check(message).accepted, VERIFIER.check(message, AT)


header = st.tuples(
    st.one_of(st.sampled_from(KNOWN_HEADERS), st.text(max_size=20)),
    st.binary(max_size=80),
)
raw_messages = st.builds(
    KafkaMessage,
    key=st.one_of(st.none(), st.binary(max_size=40)),
    value=st.binary(max_size=600),
    headers=st.lists(header, max_size=12).map(tuple),
)


@FUZZ
@given(raw_messages)
def test_random_records_raise_only_typed_errors(message: KafkaMessage) -> None:
    _decode(message)
    assert not _check(message).accepted


@st.composite
def mutated(draw: st.DrawFn) -> tuple[KafkaMessage, KafkaMessage]:
    """(original, the original with one to three mutations of bytes or headers)."""
    original = draw(st.sampled_from(ORIGINALS))
    key, value, headers = original.key, bytearray(original.value), list(original.headers)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(
                ["flip", "cut", "append", "header_value", "drop", "duplicate", "insert", "key"]
            )
        )
        if kind == "flip" and value:
            i = draw(st.integers(0, len(value) - 1))
            value[i] ^= draw(st.integers(1, 255))
        elif kind == "cut":
            del value[draw(st.integers(0, len(value))) :]
        elif kind == "append":
            value += draw(st.binary(min_size=1, max_size=40))
        elif kind == "header_value" and headers:
            i = draw(st.integers(0, len(headers) - 1))
            headers[i] = (headers[i][0], draw(st.binary(max_size=80)))
        elif kind == "drop" and headers:
            del headers[draw(st.integers(0, len(headers) - 1))]
        elif kind == "duplicate" and headers:
            headers.append(headers[draw(st.integers(0, len(headers) - 1))])
        elif kind == "insert":
            headers.insert(draw(st.integers(0, len(headers))), draw(header))
        elif kind == "key":
            key = draw(st.one_of(st.none(), st.binary(max_size=40)))
    return original, KafkaMessage(key, bytes(value), tuple(headers))


@FUZZ
@given(mutated())
def test_mutated_signed_events_are_refused_or_unchanged(
    pair: tuple[KafkaMessage, KafkaMessage],
) -> None:
    original, message = pair
    _decode(message)
    verdict = _check(message)
    if verdict.accepted:  # only a change outside the signed content may pass
        assert _signed_content(message) == _signed_content(original)


@pytest.mark.parametrize("cut", [0, 1, 4, 5, 6])
def test_short_values_are_truncated_not_crashes(cut: int) -> None:
    message = KafkaMessage(SINGLE.key, SINGLE.value[:cut], SINGLE.headers)
    verdict = _check(message)
    assert verdict.reason in {"truncated_value", "value_mismatch", "bad_magic_byte"}
