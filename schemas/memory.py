"""An in-process schema resolver: for tests, benchmarks and tools that run without Kafka."""

from __future__ import annotations

import threading

from schemas._parse import identity_key, validate
from schemas._wire import SchemaId
from schemas.errors import SchemaNotFoundError, SubjectNotFoundError


class InMemoryResolver:
    """A :class:`~schemas.codec.SchemaResolver` keeping ids in a dict (no compatibility)."""

    def __init__(self, first_id: int = 1) -> None:
        self._lock = threading.Lock()
        self._next_id = first_id
        self._ids: dict[str, SchemaId] = {}
        self._texts: dict[int, str] = {}
        self._subjects: dict[str, set[int]] = {}

    def register(self, subject: str, schema: str) -> SchemaId:
        """Register ``schema`` under ``subject``; the same schema always gets the same id."""
        text = validate(schema)
        key = identity_key(text)
        with self._lock:
            schema_id = self._ids.get(key)
            if schema_id is None:
                schema_id = SchemaId(self._next_id)
                self._next_id += 1
                self._ids[key] = schema_id
                self._texts[schema_id] = text
            self._subjects.setdefault(subject, set()).add(schema_id)
            return schema_id

    def schema_by_id(self, schema_id: int) -> str:
        """The schema text of ``schema_id``."""
        try:
            return self._texts[schema_id]
        except KeyError:
            raise SchemaNotFoundError(f"schema {schema_id} not found") from None

    def lookup_id(self, subject: str, schema: str) -> int:
        """The id of ``schema`` under ``subject``."""
        ids = self._subjects.get(subject)
        if ids is None:
            raise SubjectNotFoundError(f"subject {subject!r} not found")
        schema_id = self._ids.get(identity_key(schema))
        if schema_id is None or schema_id not in ids:
            raise SchemaNotFoundError(f"schema not registered under subject {subject!r}")
        return schema_id
