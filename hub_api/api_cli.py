"""``hub api``: serve the HTTP API (uvicorn) on ``HUB_API_HOST``:``HUB_API_PORT``."""

from __future__ import annotations

import argparse


def _run(args: argparse.Namespace) -> int:
    import uvicorn

    from hub_api.app import create_app
    from hub_settings import load_settings

    settings = load_settings()
    host = args.host or settings.api.host
    port = args.port or settings.api.port
    uvicorn.run(create_app(settings), host=host, port=port, log_level=args.loglevel)
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("api", help="serve the HTTP API (default 127.0.0.1:8080)")
    parser.add_argument("--host", help="override HUB_API_HOST")
    parser.add_argument("--port", type=int, help="override HUB_API_PORT")
    parser.add_argument("--loglevel", default="info")
    parser.set_defaults(handler=_run)
