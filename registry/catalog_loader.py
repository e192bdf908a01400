"""Read the YAML catalog from a directory, check all of it and report every error at once.

Ordinary files hold the keys `agencies`, `procedures`, `subscriptions` (lists of entries);
a file in the `calendar/` subdirectory is one year's calendar override. Errors from
anywhere are gathered into one `CatalogError` with file, entry and field.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from registry._calendar_overrides import CalendarOverride
from registry._catalog import Catalog
from registry._catalog_checks import Located, check_references
from registry.errors import CatalogError, CatalogIssue
from registry.ids import instance_code
from registry.model import Agency, AgencyLevel, Procedure, Subscription

__all__ = ["DEFAULT_CATALOG_DIR", "build_catalog", "load_catalog", "merge_file"]

DEFAULT_CATALOG_DIR = Path(__file__).parent / "catalog"
"""The Thanh Hóa catalog shipped with the package."""

_KINDS: dict[str, tuple[type[BaseModel], str]] = {
    "agencies": (Agency, "id"),
    "procedures": (Procedure, "code"),
    "subscriptions": (Subscription, "id"),
}


def _field(loc: Iterable[int | str]) -> str:
    return ".".join(str(part) for part in loc) or "-"


def _validate(
    model: type[BaseModel], data: Any, file: str, entry: str, issues: list[CatalogIssue]
) -> Located | None:
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            message = err["msg"]
            if err["type"] == "string_type" and isinstance(err.get("input"), float):
                message += " (YAML read a number: quote codes, e.g. '1.001193')"
            issues.append(CatalogIssue(file, entry, _field(err["loc"]), message))
        return None
    assert isinstance(parsed, Agency | Procedure | Subscription | CalendarOverride)
    return Located(file, entry, parsed)


def _read(path: Path, root: Path, issues: list[CatalogIssue]) -> list[Located]:
    name = path.relative_to(root).as_posix()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        issues.append(CatalogIssue(name, "-", "-", f"cannot read YAML: {exc}"))
        return []
    if path.parent.name == "calendar":
        located = _validate(CalendarOverride, data, name, "calendar", issues)
        return [located] if located else []
    if data is None:
        return []
    if not isinstance(data, dict):
        issues.append(CatalogIssue(name, "-", "-", "top level must be a mapping"))
        return []
    found: list[Located] = []
    for kind, entries in data.items():
        if kind not in _KINDS:
            issues.append(
                CatalogIssue(name, str(kind), "-", f"unknown section, use {sorted(_KINDS)}")
            )
            continue
        if not isinstance(entries, list):
            issues.append(CatalogIssue(name, str(kind), "-", "section must be a list"))
            continue
        model, key = _KINDS[kind]
        for index, raw in enumerate(entries):
            label = f"{kind}[{index}]"
            if isinstance(raw, dict) and raw.get(key):
                label = f"{label} {raw[key]}"
            located = _validate(model, raw, name, label, issues)
            if located:
                found.append(located)
    return found


def _with_instance_code(items: list[Located]) -> list[Located]:
    province = next(
        (
            i.model.id
            for i in items
            if isinstance(i.model, Agency) and i.model.level is AgencyLevel.PROVINCE
        ),
        None,
    )
    result = []
    for item in items:
        model = item.model
        if isinstance(model, Procedure) and model.instance_code is None and province:
            code = instance_code(model.code, province)
            item = Located(item.file, item.entry, model.model_copy(update={"instance_code": code}))
        result.append(item)
    return result


def build_catalog(items: Iterable[Located], issues: Iterable[CatalogIssue] = ()) -> Catalog:
    """Cross-check and build the `Catalog`; any errors raise one `CatalogError` with all.

    An agency's procedure code defaults to the procedure code + '.' + the code of the
    provincial People's Committee (UBND tỉnh).
    """
    located = _with_instance_code(list(items))
    all_issues = [*issues, *check_references(located)]
    if all_issues:
        raise CatalogError(all_issues)
    catalog: dict[str, dict[Any, Any]] = {"a": {}, "p": {}, "s": {}, "c": {}}
    for item in located:
        model = item.model
        if isinstance(model, Agency):
            catalog["a"][model.id] = model
        elif isinstance(model, Procedure):
            catalog["p"][model.code] = model
        elif isinstance(model, Subscription):
            catalog["s"][model.id] = model
        else:
            catalog["c"][model.year] = model
    return Catalog(catalog["a"], catalog["p"], catalog["s"], catalog["c"])


def load_catalog(directory: Path | str = DEFAULT_CATALOG_DIR) -> Catalog:
    """Read every `*.yaml` file under `directory` and return the checked catalog."""
    root = Path(directory)
    if not root.is_dir():
        raise CatalogError([CatalogIssue(str(root), "-", "-", "not a directory")])
    issues: list[CatalogIssue] = []
    items: list[Located] = []
    for path in sorted(root.rglob("*.yaml")):
        items.extend(_read(path, root, issues))
    return build_catalog(items, issues)


def _identity(model: Agency | Procedure | Subscription | CalendarOverride) -> tuple[str, str]:
    if isinstance(model, CalendarOverride):
        return "calendar", str(model.year)
    if isinstance(model, Procedure):
        return "procedure", model.code
    return type(model).__name__.lower(), str(model.id)


def merge_file(base: Catalog, path: Path | str) -> Catalog:
    """``base`` with the entries of one YAML file added or replaced (``hub registry apply
    FILE``); the result is checked as a whole, and every error reported at once."""
    file = Path(path)
    issues: list[CatalogIssue] = []
    added = _read(file, file.parent, issues)
    replaced = {_identity(item.model) for item in added}
    kept = [
        Located("hub.registry", key, model)
        for (_, key), model in base.entries().items()
        if isinstance(model, Agency | Procedure | Subscription | CalendarOverride)
        and _identity(model) not in replaced
    ]
    return build_catalog([*kept, *added], issues)
