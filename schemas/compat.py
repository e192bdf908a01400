"""Schema compatibility: a pure function of the new schema, the existing ones and a level.

The check itself is the ``avro`` package's ReaderWriterCompatibilityChecker (the same
algorithm as the Java library the Confluent registry uses), never a hand-rolled diff.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType
from avro.schema import Schema

from schemas._parse import parse_avro
from schemas.errors import InvalidCompatibilityLevelError


class CompatibilityLevel(StrEnum):
    """The Confluent compatibility levels; *_TRANSITIVE checks every earlier version."""

    NONE = "NONE"
    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"

    @classmethod
    def parse(cls, value: str) -> CompatibilityLevel:
        """The level named ``value`` (case-insensitive), or InvalidCompatibilityLevelError."""
        try:
            return cls(value.upper())
        except (ValueError, AttributeError):
            raise InvalidCompatibilityLevelError(
                f"invalid compatibility level {value!r}; expected one of "
                + ", ".join(level.value for level in cls)
            ) from None

    @property
    def transitive(self) -> bool:
        """True when every existing version is checked, not only the latest."""
        return self.value.endswith("_TRANSITIVE")

    @property
    def backward(self) -> bool:
        """True when the new schema must read data written with the old ones."""
        return self.value.startswith(("BACKWARD", "FULL"))

    @property
    def forward(self) -> bool:
        """True when the old schemas must read data written with the new one."""
        return self.value.startswith(("FORWARD", "FULL"))


DEFAULT_LEVEL = CompatibilityLevel.BACKWARD


@dataclass(frozen=True, slots=True)
class CompatibilityResult:
    """Whether the new schema passes, and why not (one message per incompatibility)."""

    compatible: bool
    messages: tuple[str, ...] = ()


def check_compatibility(
    new_schema: str,
    existing_schemas: Sequence[str],
    level: CompatibilityLevel | str = DEFAULT_LEVEL,
) -> CompatibilityResult:
    """Check ``new_schema`` against ``existing_schemas`` (oldest first) under ``level``.

    Non-transitive levels look at the latest existing schema only. Raises
    InvalidSchemaError for a schema that does not parse.
    """
    if not isinstance(level, CompatibilityLevel):
        level = CompatibilityLevel.parse(level)
    new = parse_avro(new_schema)
    if level is CompatibilityLevel.NONE or not existing_schemas:
        return CompatibilityResult(True)
    targets = existing_schemas if level.transitive else existing_schemas[-1:]
    messages: list[str] = []
    for index, text in enumerate(targets):
        old = parse_avro(text)
        label = f"version #{len(existing_schemas) - len(targets) + index + 1}"
        if level.backward:
            messages += _incompatibilities(new, old, f"{label}: new schema cannot read old data")
        if level.forward:
            messages += _incompatibilities(old, new, f"{label}: old schema cannot read new data")
    return CompatibilityResult(not messages, tuple(messages))


def _incompatibilities(reader: Schema, writer: Schema, prefix: str) -> list[str]:
    """The checker's messages for one reader/writer pair (empty when compatible)."""
    checker = ReaderWriterCompatibilityChecker()  # type: ignore[no-untyped-call]  # untyped __init__ upstream
    result = checker.get_compatibility(reader, writer)
    if result.compatibility is SchemaCompatibilityType.compatible:
        return []
    kinds = ", ".join(sorted({kind.value for kind in result.incompatibilities}))
    where = ", ".join(sorted(result.locations))
    what = "; ".join(sorted(result.messages))
    return [f"{prefix}: {kinds} at {where}: {what}"]
