"""Connector config files: the examples are valid; errors come with line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.config import load_config, parse_config
from connectors.errors import ConfigError

EXAMPLES = sorted((Path(__file__).parents[3] / "connectors" / "examples").glob("*.yaml"))
GOOD = """\
name: demo
agency: 000.90.02.H56
key: {file: k.pem}
outbound:
  events: [vn.gov.thanhhoa.dossier.submitted]
  target: {kind: rest, url: "http://x/{data.dossier_code}"}
  request:
    code: data.dossier_code
    name: data.applicant.full_name | upper
"""


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_are_valid(path: Path) -> None:
    config = load_config(path)
    assert config.agency.endswith(".H56")


def test_there_is_an_example_per_peer() -> None:
    assert {p.stem for p in EXAMPLES} >= {
        "civil-status",
        "population",
        "payment",
        "postal",
        "portal",
    }


def test_a_good_config_parses() -> None:
    config = parse_config(GOOD)
    assert config.outbound is not None
    assert config.outbound.retry.attempts == 5


def _issues(text: str) -> list[tuple[int, str]]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    return [(i.line, i.field) for i in caught.value.issues]


def test_schema_errors_all_reported_with_line_and_field() -> None:
    text = GOOD.replace("000.90.02.H56", "H56").replace("kind: rest,", "kind: rest, timeout_s: 0,")
    text = text.replace("submitted]", "submitted]\n  colour: blue")
    assert _issues(text) == [
        (2, "agency"),
        (6, "outbound.colour"),
        (7, "outbound.target.timeout_s"),
    ]


def test_mapping_errors_point_at_the_rule_line() -> None:
    text = GOOD.replace("full_name | upper", "fullname | shout")
    issues = _issues(text)
    assert issues == [(9, "outbound.request.name"), (9, "outbound.request.name")] or issues == [
        (9, "outbound.request.name")
    ]


def test_unknown_field_of_the_event_schema() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(GOOD.replace("full_name", "fullname"))
    [issue] = caught.value.issues
    assert (issue.line, issue.field) == (9, "outbound.request.name")
    assert "no field 'fullname' in Applicant" in issue.message


def test_yaml_syntax_error_has_a_line() -> None:
    assert _issues(GOOD.replace("request:", "request: ["))[0][0] >= 7


def test_reply_must_fill_required_fields() -> None:
    text = (
        GOOD
        + """\
  reply:
    type: vn.gov.thanhhoa.dossier.status_changed
    data:
      dossier_code: data.dossier_code
      colour: response.x
"""
    )
    fields = {f for _, f in _issues(text)}
    assert {"outbound.reply.data", "outbound.reply.data.colour"} <= fields
