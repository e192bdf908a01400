"""``hub registry apply|diff|show``: the procedure registry in ``hub.registry``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hub_api._cli_common import registry_store, say
from registry import Catalog
from registry.catalog_loader import DEFAULT_CATALOG_DIR, load_catalog, merge_file
from registry.errors import CatalogError
from registry.store import RegistryStore


def _target(store: RegistryStore, path: Path) -> Catalog:
    """A directory is the whole catalog; a single file adds or replaces its entries."""
    return load_catalog(path) if path.is_dir() else merge_file(store.catalog(), path)


def _run(args: argparse.Namespace) -> int:
    with registry_store() as store:
        if args.action == "show":
            return _show(store, args.kind, args.ident)
        path = Path(args.path) if args.path else DEFAULT_CATALOG_DIR
        try:
            catalog = _target(store, path)
        except CatalogError as exc:
            say(f"error: {path} is not a valid catalog; nothing was published.")
            for issue in exc.issues:
                say(f"  {issue.file}: {issue.entry}: {issue.field}: {issue.message}")
            return 2
        changes = store.diff(catalog) if args.action == "diff" else store.apply(catalog)
        for change in changes:
            print(change)
        verb = "would change" if args.action == "diff" else "published"
        say(f"{len(changes)} entries {verb} in {store.topic}")
    return 0


def _show(store: RegistryStore, kind: str | None, ident: str | None) -> int:
    entries = store.catalog().entries()
    shown = {
        f"{k.value}:{key}": model.model_dump(mode="json")
        for (k, key), model in sorted(entries.items())
        if (kind is None or k.value == kind) and (ident is None or key == ident)
    }
    if not shown:
        say("nothing matches")
        return 1
    print(json.dumps(shown, ensure_ascii=False, indent=2))
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("registry", help="apply, diff or show the procedure registry")
    actions = parser.add_subparsers(dest="action", required=True)
    for name, text in (("apply", "validate and publish changes"), ("diff", "show changes")):
        action = actions.add_parser(name, help=text)
        action.add_argument("path", nargs="?", help="catalog directory or one YAML file")
    show = actions.add_parser("show", help="print entries as JSON")
    show.add_argument(
        "kind", nargs="?", choices=("agency", "procedure", "subscription", "calendar")
    )
    show.add_argument("ident", nargs="?")
    parser.set_defaults(handler=_run)
