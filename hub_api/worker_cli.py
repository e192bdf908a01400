"""``hub worker``: run the stream workers (verify, track and route, audit)."""

from __future__ import annotations

import argparse
import sys


def _run(args: argparse.Namespace) -> int:
    from streams.app import app  # imported here: it reads the settings and builds the App

    argv = ["hub worker", "worker", "--loglevel", args.loglevel]
    if args.without_web:
        argv.append("--without-web")
    sys.argv = argv
    app.main()
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("worker", help="run a stream worker (Faust)")
    parser.add_argument("--loglevel", default="info")
    parser.add_argument("--without-web", action="store_true", help="no Faust web server")
    parser.set_defaults(handler=_run)
