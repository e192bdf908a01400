"""The OpenAPI document: examples everywhere a route reads or answers a body, and they fit.

The Confluent-compatible ``/schema-registry`` is left out (Confluent's own bodies and
error format).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import jsonschema
import pytest

from hub_api.errors import PROBLEM_MEDIA_TYPE
from hub_api.routers import openapi_examples as ex
from tests.unit.hub_api.conftest import Hub, headers

_SKIPPED_PREFIX = "/schema-registry"
_REF = "#/components/schemas/"
_FORMATS = jsonschema.FormatChecker()


@_FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    """RFC 3339 with an offset (``jsonschema`` checks it only with an optional extra)."""
    return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None


@pytest.fixture
def document(hub: Hub) -> dict[str, Any]:
    spec: dict[str, Any] = hub.client.app.openapi()
    return spec


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        if path.startswith(_SKIPPED_PREFIX):
            continue
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def _bodies(operation: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, media type object) of the request body and of every response."""
    for media, content in operation.get("requestBody", {}).get("content", {}).items():
        yield f"request {media}", content
    for status, response in operation.get("responses", {}).items():
        for media, content in response.get("content", {}).items():
            yield f"{status} {media}", content


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF):
            yield ref.removeprefix(_REF)
        for child in node.values():
            yield from _refs(child)
    elif isinstance(node, list):
        for child in node:
            yield from _refs(child)


def _used_schemas(document: dict[str, Any]) -> dict[str, set[str]]:
    """Component name -> the operations whose bodies use it (directly or nested)."""
    components = document["components"]["schemas"]
    used: dict[str, set[str]] = {}
    for label, operation in _operations(document):
        todo = [ref for _, content in _bodies(operation) for ref in _refs(content.get("schema"))]
        seen: set[str] = set()
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(_refs(components[name]))
        for name in seen:
            used.setdefault(name, set()).add(label)
    return used


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> jsonschema.Validator:
    # "#/components/..." references resolve against a root that carries the components
    root = {**schema, "components": document["components"]}
    return jsonschema.Draft202012Validator(root, format_checker=_FORMATS)


def _problems(validator: jsonschema.Validator, example: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in validator.iter_errors(example)
    ]


def test_every_schema_a_route_reads_or_answers_has_examples(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    used = _used_schemas(document)
    assert {"DossierDetail", "Agency", "EventEnvelope", "Problem", "Readiness"} <= set(used)
    offenders = {
        name: sorted(routes)
        for name, routes in sorted(used.items())
        if not components[name].get("examples")
    }
    assert not offenders, "component schemas without examples:\n" + "\n".join(
        f"  {name} (used by {', '.join(routes)})" for name, routes in offenders.items()
    )


def test_every_example_fits_its_schema(document: dict[str, Any]) -> None:
    failures: list[str] = []
    checked = 0
    for name, schema in document["components"]["schemas"].items():
        validator = _validator(document, {"$ref": _REF + name})
        for index, example in enumerate(schema.get("examples", ())):
            failures += [f"{name} example {index}: {p}" for p in _problems(validator, example)]
            checked += 1
    for label, operation in _operations(document):
        for where, content in _bodies(operation):
            validator = _validator(document, content.get("schema", {}))
            named = content.get("examples", {})
            for key, example in named.items():
                found = _problems(validator, example["value"])
                failures += [f"{label} {where} example {key}: {p}" for p in found]
                checked += 1
            for index, example in enumerate(content.get("schema", {}).get("examples", ())):
                found = _problems(validator, example)
                failures += [f"{label} {where} schema example {index}: {p}" for p in found]
                checked += 1
    assert checked > 100
    assert not failures, "examples that do not fit their schema:\n" + "\n".join(failures)


def test_every_error_answer_is_a_documented_problem_with_examples(
    document: dict[str, Any],
) -> None:
    missing: list[str] = []
    for label, operation in _operations(document):
        for status, response in operation["responses"].items():
            if not status.startswith(("4", "5")):
                continue
            problem = response.get("content", {}).get(PROBLEM_MEDIA_TYPE, {})
            examples = [e["value"] for e in problem.get("examples", {}).values()]
            if problem.get("schema") != {"$ref": _REF + "Problem"}:
                missing.append(f"{label} {status}: not documented as {PROBLEM_MEDIA_TYPE}")
            elif not examples or any(e["status"] != int(status) for e in examples):
                missing.append(f"{label} {status}: no problem example with status {status}")
            if status == "429" and "Retry-After" not in response.get("headers", {}):
                missing.append(f"{label} 429: Retry-After not documented")
    assert not missing, "\n".join(missing)


def test_the_documented_problem_is_the_one_the_api_answers(
    hub: Hub, document: dict[str, Any]
) -> None:
    path = f"/v1/dossiers/{ex.DOSSIER}"
    answer = hub.client.get(path, headers=headers("operator"))
    assert answer.status_code == 404
    assert answer.headers["content-type"] == PROBLEM_MEDIA_TYPE
    documented = document["paths"]["/v1/dossiers/{code}"]["get"]["responses"]["404"]
    assert documented["content"][PROBLEM_MEDIA_TYPE]["examples"]["not-found"]["value"] == (
        answer.json()
    )


@pytest.mark.parametrize(
    ("path", "key"),
    [("/v1/agencies/{agency_id}", ex.JUSTICE), ("/v1/procedures/{code}", "1.001193")],
)
def test_the_registry_write_examples_pass_the_catalog_validation(
    hub: Hub, document: dict[str, Any], path: str, key: str
) -> None:
    body = document["paths"][path]["put"]["requestBody"]["content"]["application/json"]
    (example,) = body["schema"]["examples"]
    answer = hub.client.put(path.split("{")[0] + key, json=example, headers=headers("admin"))
    assert answer.status_code == 200, answer.text
