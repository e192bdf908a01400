"""Connector config files (YAML): the pydantic model and a loader that reports every error.

Each issue carries the line of the YAML node it is about and the dotted field, so a new
department can fix its file in one pass. Secrets are never in the file: it names
environment variables (``password_env``, ``token_env``, ``secret_env``, ``passphrase_env``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connectors.errors import ConfigError, ConfigIssue
from connectors.mapping import FieldMapping, check_avro_path, compile_mapping
from schemas import EVENT_TYPES, load_catalog

__all__ = ["ConnectorConfig", "config_warnings", "issue_at", "line_index", "load_config"]
__all__ += ["parse_config", "secret"]

_AGENCY = r"^\d{3}\.\d{2}\.\d{2}\.H\d{2}$"
_TYPES = {e.ce_type: e for e in EVENT_TYPES}
_EVENT_ATTRS = {"id", "type", "source", "subject", "time"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EnvRef(_Strict):
    """A header value read from an environment variable: ``{env: POSTAL_TOKEN}``."""

    env: str


class SoapTarget(_Strict):
    kind: Literal["soap"]
    wsdl: str
    operation: str
    service: str | None = None
    port: str | None = None
    address: str | None = None
    username: str | None = None
    password_env: str | None = None
    password_digest: bool = False
    timeout_s: float = Field(default=10.0, gt=0)


class BearerAuth(_Strict):
    kind: Literal["bearer"]
    token_env: str


class BasicAuth(_Strict):
    kind: Literal["basic"]
    username: str
    password_env: str


class ChecksumAuth(_Strict):
    """SHA-256 over pipe-joined fields plus a shared secret (the payment platform's)."""

    kind: Literal["checksum"]
    secret_env: str
    fields: list[str] | None = None  # None: the payment platform's order by msgType
    field: str = "checksum"
    verify_response: bool = True


class Success(_Strict):
    """A business result code in a 2xx JSON answer: ``field`` must be one of ``values``."""

    field: str
    values: list[str]
    transient_values: list[str] = Field(default_factory=list)


class RestTarget(_Strict):
    kind: Literal["rest"]
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    url: str
    headers: dict[str, str | EnvRef] = Field(default_factory=dict)
    auth: Annotated[BearerAuth | BasicAuth | ChecksumAuth, Field(discriminator="kind")] | None = (
        None
    )
    success: Success | None = None
    timeout_s: float = Field(default=10.0, gt=0)


class SmtpTarget(_Strict):
    """An SMTP server (e-mail notifications); the request maps ``to``, ``subject``, ``body``."""

    kind: Literal["smtp"]
    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=1, le=65535)
    sender: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    username: str | None = None
    password_env: str | None = None
    starttls: bool = False
    timeout_s: float = Field(default=10.0, gt=0)


Target = Annotated[SoapTarget | RestTarget | SmtpTarget, Field(discriminator="kind")]


TimeoutAction = Literal["retry", "deadletter"]


class Retry(_Strict):
    """The retry budget of one message, what a timeout does, and how long to wait for a
    peer that does not answer at all (connection refused) before dead-lettering."""

    attempts: int = Field(default=5, ge=1, le=100)
    initial_s: float = Field(default=0.2, gt=0)
    max_s: float = Field(default=5.0, gt=0)
    jitter_s: float = Field(default=0.2, ge=0)
    # None: "retry" when the peer deduplicates (peer_dedupes), else "deadletter" (in-doubt)
    on_timeout: TimeoutAction | None = None
    unavailable_max_s: float = Field(default=900.0, gt=0)  # 15 min: outlasts a short outage

    def timeout_action(self, peer_dedupes: bool) -> TimeoutAction:
        """As configured, else resend only to a peer that dedupes: a timed-out request may
        have acted, and a peer that cannot spot the repeat would act twice."""
        if self.on_timeout is not None:
            return self.on_timeout
        return "retry" if peer_dedupes else "deadletter"


class Breaker(_Strict):
    failures: int = Field(default=3, ge=1)
    open_s: float = Field(default=2.0, gt=0)
    max_open_s: float = Field(default=30.0, gt=0)  # failed probes double open_s up to this


class EventRule(_Strict):
    """An event built from a mapping: type, subject (dossier code), optional id key, data."""

    type: str
    subject: str = "data.dossier_code"
    key: str | None = None  # inbound: path of the legacy change id -> deterministic event id
    data: dict[str, Any]

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in _TYPES:
            raise ValueError(f"unknown event type {value!r}; known: {', '.join(_TYPES)}")
        return value


class Outbound(_Strict):
    source: str = "inbox"  # "inbox" (the agency's) or a topic name
    events: list[str] = Field(min_length=1)
    target: Target
    request: dict[str, Any]
    reply: EventRule | None = None
    retry: Retry = Field(default_factory=Retry)
    breaker: Breaker = Field(default_factory=Breaker)
    peer_dedupes: bool = False  # the peer honours the idempotency key: resend what is in doubt

    @field_validator("events")
    @classmethod
    def _known_types(cls, values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in _TYPES]
        if unknown:
            raise ValueError(f"unknown event types {unknown}; known: {', '.join(_TYPES)}")
        return values


class Webhook(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8090, ge=0, le=65535)
    path: str = "/webhook"
    token_env: str | None = None
    event: EventRule


class Poll(_Strict):
    interval_s: float = Field(default=5.0, gt=0)
    target: Target
    request: dict[str, Any] = Field(default_factory=dict)
    items: str  # path of the list of changes in the response, e.g. response.Change
    cursor: str  # path of the cursor in one item, e.g. item.Sequence
    initial_cursor: str | int = 0
    event: EventRule


class Inbound(_Strict):
    webhook: Webhook | None = None
    poll: Poll | None = None


class Metrics(_Strict):
    """Where the connector serves Prometheus ``/metrics`` (port 0: not at all)."""

    host: str = "127.0.0.1"
    port: int = Field(default=9102, ge=0, le=65535)


class Key(_Strict):
    file: Path
    passphrase_env: str = "HUB_CONNECTOR_KEY_PASSPHRASE"  # noqa: S105 - a variable name


class ConnectorConfig(_Strict):
    """One connector: who it acts for, its key, and its outbound and/or inbound sides."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    agency: str = Field(pattern=_AGENCY)
    key: Key
    status_tables: dict[str, dict[str, Any]] = Field(default_factory=dict)
    outbound: Outbound | None = None
    inbound: Inbound | None = None
    metrics: Metrics = Field(default_factory=Metrics)
    base_dir: Path = Path()

    def mapping(self, raw: dict[str, Any]) -> FieldMapping:
        """A compiled mapping of this config (already checked by the loader)."""
        return compile_mapping(raw, self.status_tables)[0]

    @property
    def key_file(self) -> Path:
        return self.key.file if self.key.file.is_absolute() else self.base_dir / self.key.file


def secret(env: str | None, what: str) -> str | None:
    """The value of the environment variable ``env``; ConfigError when it is unset."""
    if env is None:
        return None
    value = os.environ.get(env)
    if value is None:
        raise ConfigError([ConfigIssue(0, what, f"environment variable {env} is not set")])
    return value


def config_warnings(config: ConnectorConfig) -> list[tuple[str, str]]:
    """(dotted field, message) of risky but allowed settings; the connector still runs."""
    out = config.outbound
    if out is None or out.retry.on_timeout != "retry" or out.peer_dedupes:
        return []
    why = "timeouts are resent to a peer that does not deduplicate (peer_dedupes: false)"
    why += ": one that acted late gets the request twice; keep only for read-only queries"
    return [("outbound.retry.on_timeout", why)]


# --- loading ------------------------------------------------------------------------------
def _lines(node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int]) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            out[(*path, key.value)] = key.start_mark.line + 1
            _lines(value, (*path, key.value), out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _lines(item, (*path, index), out)


def _locate(loc: tuple[Any, ...], index: dict[tuple[Any, ...], int]) -> tuple[int, str]:
    """Line and dotted field of a pydantic error location (skips union tags)."""
    path: tuple[Any, ...] = ()
    shown: list[str] = []
    for position, part in enumerate(loc):
        key = int(part) if isinstance(part, int) else str(part)
        if (*path, key) in index:
            path = (*path, key)
            shown.append(str(part))
        elif position == len(loc) - 1:
            shown.append(str(part))
    return index.get(path, 1), ".".join(shown)


def line_index(text: str) -> dict[tuple[Any, ...], int]:
    """Line of every key and item of a YAML text, by path (empty when unparsable)."""
    index: dict[tuple[Any, ...], int] = {}
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return index
    if node is not None:
        _lines(node, (), index)
    return index


def issue_at(index: dict[tuple[Any, ...], int], field: str, message: str) -> ConfigIssue:
    """An issue about the dotted ``field``, at the line of its deepest existing part."""
    parts = tuple(int(p) if p.isdigit() else p for p in re.split(r"\.(?![^\[]*\])", field))
    line, _ = _locate(parts, index)
    return ConfigIssue(line, field, message)


def _check_rule_roots(
    where: str, raw: dict[str, Any], config: ConnectorConfig, roots: set[str], data_types: list[str]
) -> list[tuple[str, str]]:
    """Compile a mapping; check roots, event attributes and ``data.*`` against the schemas."""
    mapping, problems = compile_mapping(raw, config.status_tables)
    found = [(f"{where}.{target}", message) for target, message in problems]
    catalog = load_catalog()
    for target, path in mapping.paths():
        root, _, rest = path.partition(".")
        root = root.split("[")[0]
        field = f"{where}.{target}"
        if root not in roots:
            found.append((field, f"path {path!r} must start with one of {sorted(roots)}"))
        elif root == "event" and rest.split(".")[0] not in _EVENT_ATTRS:
            found.append((field, f"{path!r}: events have {sorted(_EVENT_ATTRS)}"))
        elif root == "data" and rest:
            for ce_type in data_types:
                why = check_avro_path(catalog.schema(_TYPES[ce_type].full_name), rest)
                if why:
                    found.append((field, f"{path!r} for {ce_type}: {why}"))
    return found


def _check_event(
    where: str, rule: EventRule, config: ConnectorConfig, roots: set[str], data_types: list[str]
) -> list[tuple[str, str]]:
    found = _check_rule_roots(f"{where}.data", rule.data, config, roots, data_types)
    found += _check_rule_roots(where, {"subject": rule.subject}, config, roots, data_types)
    record = load_catalog().schema(_TYPES[rule.type].full_name)
    names = {f["name"] for f in record["fields"]}
    for target in rule.data:
        if str(target).split(".")[0] not in names:
            found.append((f"{where}.data.{target}", f"{record['name']} has no field {target!r}"))
    for f in record["fields"]:
        if "default" not in f and f["name"] not in rule.data:
            found.append((f"{where}.data", f"{record['name']}.{f['name']} is required"))
    return found


def _semantic(config: ConnectorConfig) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if config.outbound is None and config.inbound is None:
        found.append(("outbound", "a connector needs an outbound or an inbound side"))
    base = {"now", "connector"}
    if (out := config.outbound) is not None:
        found += _check_rule_roots(
            "outbound.request", out.request, config, base | {"event", "data"}, out.events
        )
        if out.reply is not None:
            roots = base | {"event", "data", "response"}
            found += _check_event("outbound.reply", out.reply, config, roots, out.events)
    if config.inbound is not None:
        if (hook := config.inbound.webhook) is not None:
            roots = base | {"body", "headers"}
            found += _check_event("inbound.webhook.event", hook.event, config, roots, [])
        if (poll := config.inbound.poll) is not None:
            found += _check_rule_roots(
                "inbound.poll.request", poll.request, config, base | {"cursor"}, []
            )
            found += _check_event("inbound.poll.event", poll.event, config, base | {"item"}, [])
    return found


def parse_config(
    text: str, *, file: str = "<config>", base_dir: Path | None = None
) -> ConnectorConfig:
    """Parse and check a config text; ConfigError with every issue (line, field, message)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise ConfigError([ConfigIssue(line, "-", f"not valid YAML: {exc}")], file) from None
    index = line_index(text)
    if not isinstance(data, dict):
        raise ConfigError([ConfigIssue(1, "-", "the file must be a YAML mapping")], file)
    try:
        config = ConnectorConfig.model_validate({**data, "base_dir": base_dir or Path()})
    except ValidationError as exc:
        issues = []
        for err in exc.errors():
            line, field = _locate(tuple(err["loc"]), index)
            issues.append(ConfigIssue(line, field, err["msg"]))
        raise ConfigError(issues, file) from None
    problems = _semantic(config)
    if problems:
        raise ConfigError([issue_at(index, f, m) for f, m in problems], file)
    return config


def load_config(path: Path | str) -> ConnectorConfig:
    """Read and check a connector config file (relative key paths: from its folder)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigIssue(0, "-", f"cannot read: {exc}")], str(file)) from None
    return parse_config(text, file=str(file), base_dir=file.parent)
