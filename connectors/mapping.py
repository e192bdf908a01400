"""Declarative field mappings (ánh xạ trường): event -> request, response -> event.

Pure functions, no I/O. A mapping is ``{target field: rule}``; a rule is a path with
optional transforms, ``"data.applicant.full_name | upper"``, or a dict
``{path|const, transforms: [...], default: ..., optional: bool}``; other scalars are
constants. Paths read the source document (``event``, ``data``, ``response``, ``now``...),
dotted targets build nested objects. Transforms: ``upper``, ``lower``, ``str``, ``int``,
``datetime:<pattern>`` (format, Vietnam time, e.g. ``yyyyMMddHHmmss``),
``parse_datetime:<pattern>``, ``iso_datetime``, ``status_table:<name>``, ``default:<text>``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, Final

from connectors.errors import MappingError

__all__ = [
    "VN_TIME",
    "FieldMapping",
    "Rule",
    "check_avro_path",
    "compile_mapping",
    "format_datetime",
    "parse_datetime",
    "resolve",
]

VN_TIME: Final = timezone(timedelta(hours=7), "ICT")
"""Legacy systems in Thanh Hóa speak local time (UTC+7) in their date texts."""

_MISSING: Final = object()
_PATH = re.compile(r"^[A-Za-z_][\w-]*(\.[\w-]+|\[\d+\])*$")
_TOKEN = re.compile(r"yyyy|yy|MM|dd|HH|mm|ss|SSS|'[^']*'|.", re.S)
_STRFTIME = {"yyyy": "%Y", "yy": "%y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S"}
Transform = Callable[[Any], Any]
Tables = Mapping[str, Mapping[str, Any]]


def _to_strftime(pattern: str) -> str:
    out = []
    for token in _TOKEN.findall(pattern):
        if token in _STRFTIME:
            out.append(_STRFTIME[token])
        elif token == "SSS":  # noqa: S105 - a date pattern, not a password
            out.append("{ms}")
        elif token.startswith("'"):
            out.append(token[1:-1].replace("%", "%%"))
        else:
            out.append(token.replace("%", "%%"))
    return "".join(out)


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=VN_TIME)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=VN_TIME)
    if isinstance(value, int) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, UTC)
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=VN_TIME)
    raise ValueError(f"not a date or time: {value!r}")


def format_datetime(value: Any, pattern: str) -> str:
    """A datetime, date, epoch millis or ISO text as ``pattern`` in Vietnam time."""
    moment = _as_datetime(value).astimezone(VN_TIME)
    return moment.strftime(_to_strftime(pattern)).replace(
        "{ms}", f"{moment.microsecond // 1000:03d}"
    )


def parse_datetime(text: Any, pattern: str) -> datetime:
    """``text`` written as ``pattern`` (Vietnam time) to an aware datetime."""
    if not isinstance(text, str):
        raise ValueError(f"expected text shaped {pattern}, got {text!r}")
    if "SSS" in pattern:
        raise ValueError("parse_datetime does not read milliseconds")
    return datetime.strptime(text, _to_strftime(pattern)).replace(tzinfo=VN_TIME)


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("a boolean is not an integer")
    return int(value)


def _table(name: str, tables: Tables) -> Transform:
    table = tables[name]

    def lookup(value: Any) -> Any:
        key = str(value)
        if key in table:
            return table[key]
        if "*" in table:
            return table["*"]
        raise ValueError(f"{key!r} is not in status table {name!r}")

    return lookup


def _transform(spec: str, tables: Tables) -> Transform:
    """One transform by its text; ValueError when unknown or malformed."""
    name, _, arg = spec.strip().partition(":")
    simple: dict[str, Transform] = {
        "upper": lambda v: str(v).upper(),
        "lower": lambda v: str(v).lower(),
        "str": str,
        "int": _to_int,
        "iso_datetime": _as_datetime,
    }
    if name in simple and not arg:
        return simple[name]
    if name == "datetime" and arg:
        return lambda v: format_datetime(v, arg)
    if name == "parse_datetime" and arg:
        return lambda v: parse_datetime(v, arg)
    if name == "status_table" and arg:
        if arg not in tables:
            raise ValueError(f"unknown status table {arg!r}; defined: {sorted(tables)}")
        return _table(arg, tables)
    if name == "default":
        return lambda v: arg if v is None else v
    raise ValueError(
        f"unknown transform {spec!r}; use upper, lower, str, int, iso_datetime, "
        "datetime:<pattern>, parse_datetime:<pattern>, status_table:<name>, default:<text>"
    )


@dataclass(frozen=True)
class Rule:
    """How one target field is computed; ``text`` is the rule as written (for errors)."""

    target: str
    text: str
    path: str | None = None
    const: Any = None
    transforms: tuple[Transform, ...] = ()
    default: Any = _MISSING
    optional: bool = False

    def value(self, source: Mapping[str, Any]) -> Any:
        """The value for ``source``; ``_MISSING`` when optional and absent."""
        value = self.const if self.path is None else resolve(source, self.path)
        if value is _MISSING or value is None:
            if "default:" in self.text:
                value = None  # a default: transform supplies it
            elif self.default is not _MISSING:
                return self.default
            elif self.optional:
                return _MISSING
            else:
                what = "missing" if value is _MISSING else "null"
                raise MappingError(self.target, self.text, f"{self.path} is {what}")
        for transform in self.transforms:
            try:
                value = transform(value)
            except (ValueError, TypeError, OverflowError) as exc:
                raise MappingError(self.target, self.text, str(exc)) from None
        return value


def resolve(source: Any, path: str) -> Any:
    """The value at ``path`` (``data.documents[0].name``) or ``_MISSING``."""
    node = source
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            index = int(part[1:-1])
            if not isinstance(node, list) or index >= len(node):
                return _MISSING
            node = node[index]
        elif isinstance(node, Mapping):
            node = node.get(part, _MISSING)
            if node is _MISSING:
                return _MISSING
        else:
            node = getattr(node, part, _MISSING)
            if node is _MISSING:
                return _MISSING
    return node


@dataclass(frozen=True)
class FieldMapping:
    """A compiled mapping; :meth:`apply` raises :class:`MappingError` naming field and rule."""

    rules: tuple[Rule, ...] = ()

    def apply(self, source: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for rule in self.rules:
            value = rule.value(source)
            if value is _MISSING:
                continue
            node = out
            *parents, leaf = rule.target.split(".")
            for name in parents:
                node = node.setdefault(name, {})
            node[leaf] = value
        return out

    def paths(self) -> list[tuple[str, str]]:
        """(target, source path) of every path rule, for static checks."""
        return [(r.target, r.path) for r in self.rules if r.path is not None]


def _rule(target: str, raw: Any, tables: Tables) -> Rule:
    if isinstance(raw, str):
        first, *specs = (part.strip() for part in raw.split("|"))
        spec: dict[str, Any] = {"path": first, "transforms": specs}
    elif isinstance(raw, Mapping):
        spec = dict(raw)
        unknown = set(spec) - {"path", "const", "transforms", "default", "optional"}
        if unknown:
            raise ValueError(f"unknown rule keys {sorted(unknown)}")
        if ("path" in spec) == ("const" in spec):
            raise ValueError("a rule needs exactly one of 'path' or 'const'")
    else:
        spec = {"const": raw}
    path = spec.get("path")
    if path is not None and (not isinstance(path, str) or not _PATH.match(path)):
        raise ValueError(f"bad path {path!r}; write e.g. data.applicant.full_name")
    specs = spec.get("transforms") or []
    if not isinstance(specs, list) or not all(isinstance(s, str) for s in specs):
        raise ValueError("transforms must be a list of texts")
    return Rule(
        target=target,
        text=raw if isinstance(raw, str) else repr(raw),
        path=path,
        const=spec.get("const"),
        transforms=tuple(_transform(s, tables) for s in specs),
        default=spec.get("default", _MISSING),
        optional=bool(spec.get("optional", False)),
    )


def compile_mapping(
    raw: Mapping[str, Any], tables: Tables | None = None
) -> tuple[FieldMapping, list[tuple[str, str]]]:
    """Compile ``{target: rule}``; returns the mapping and every (target, problem)."""
    rules, problems = [], []
    for target, spec in raw.items():
        try:
            rules.append(_rule(str(target), spec, tables or {}))
        except ValueError as exc:
            problems.append((str(target), str(exc)))
    return FieldMapping(tuple(rules)), problems


def check_avro_path(schema: Any, path: str) -> str | None:
    """Why ``path`` (below the record) names no field of the Avro ``schema``; None if it does."""
    node = schema
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        while True:  # unwrap unions (non-null branches) and type wrappers
            if isinstance(node, list):
                branches = [b for b in node if b != "null"]
                node = branches[0] if len(branches) == 1 else {"type": "any"}
            elif isinstance(node, dict) and isinstance(node.get("type"), (dict, list)):
                node = node["type"]
            else:
                break
        kind = node.get("type") if isinstance(node, dict) else node
        if kind == "any":
            return None
        if part.startswith("["):
            if kind != "array":
                return f"{part} indexes a {kind}, not an array"
            node = node["items"]
        elif kind == "record":
            field = next((f for f in node["fields"] if f["name"] == part), None)
            if field is None:
                names = ", ".join(f["name"] for f in node["fields"])
                return f"no field {part!r} in {node['name']} (fields: {names})"
            node = field["type"]
        elif kind == "map":
            node = node["values"]
        else:
            return f"{part!r} is below a {kind} value"
    return None
