"""Connector config files: the examples are valid; errors come with line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.config import config_warnings, load_config, parse_config
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


@pytest.mark.parametrize(
    ("extra", "action"),
    [
        ("", "deadletter"),  # peer_dedupes defaults to false: a timeout is in doubt
        ("  peer_dedupes: true\n", "retry"),
        ("  peer_dedupes: true\n  retry: {on_timeout: deadletter}\n", "deadletter"),
        ("  retry: {on_timeout: retry}\n", "retry"),
    ],
)
def test_timeout_action_defaults_to_whether_the_peer_dedupes(extra: str, action: str) -> None:
    out = parse_config(GOOD + extra).outbound
    assert out is not None
    assert out.retry.timeout_action(out.peer_dedupes) == action


def test_retry_on_timeout_to_a_peer_that_cannot_dedupe_is_a_warning() -> None:
    risky = parse_config(GOOD + "  retry: {on_timeout: retry}\n")  # allowed: an override
    [(field, message)] = config_warnings(risky)
    assert field == "outbound.retry.on_timeout"
    assert "does not deduplicate" in message
    safe = GOOD + "  peer_dedupes: true\n  retry: {on_timeout: retry}\n"
    assert config_warnings(parse_config(safe)) == []
    assert config_warnings(parse_config(GOOD)) == []


def test_unavailable_max_s_is_configurable_and_positive() -> None:
    out = parse_config(GOOD + "  retry: {unavailable_max_s: 30}\n").outbound
    assert out is not None
    assert out.retry.unavailable_max_s == 30
    assert _issues(GOOD + "  retry: {unavailable_max_s: 0}\n") == [
        (10, "outbound.retry.unavailable_max_s")
    ]


def test_validate_reports_the_warning_with_its_line_and_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from connectors.cli import main as cli_main

    config = tmp_path / "risky.yaml"
    config.write_text(GOOD + "  retry:\n    on_timeout: retry\n", encoding="utf-8")
    assert cli_main(["connector", "validate", "--offline", str(config)]) == 0
    err = capsys.readouterr().err
    assert f"{config}: warning: line 11: outbound.retry.on_timeout:" in err
