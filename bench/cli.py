"""``hub bench``: the hub pipeline against a raw Kafka baseline, plus the verify agent.

Also ``python -m bench``. Prints a table and writes ``bench/results/bench-*.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub_settings import HubSettings

VARIANTS = ("per-event", "20kb", "2-workers", "latency", "search", "http", "verify")
"""Everything beyond the baseline and the hub with batch signatures at 1 KB (always run)."""


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _options(args: argparse.Namespace) -> Any:
    from bench.pipeline_bench import Options

    chosen = set(args.variants or ())
    duration = args.duration or (2.0 if args.smoke else 10.0)
    return Options(
        duration_s=duration,
        sizes=(1024, 20_480) if "20kb" in chosen else (1024,),
        rate=args.rate if not args.smoke else 200.0,
        window=200 if args.smoke else 500,
        per_event="per-event" in chosen,
        two_workers="2-workers" in chosen,
        search_steps=7 if "search" in chosen else 0,
        latency="latency" in chosen or args.smoke,
        http="http" in chosen,
    )


def run(args: argparse.Namespace, settings: HubSettings | None = None) -> dict[str, Any]:
    """Set up isolated hubs on the configured broker, run the chosen phases, report."""
    from bench import report
    from bench.harness import build_hub
    from bench.pipeline_bench import PipelineRun
    from bench.verify_bench import in_worker, pure, summary
    from hub_settings import load_settings

    settings = settings or load_settings()
    options = _options(args)
    chosen = set(args.variants or ())
    workdir = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    result: dict[str, Any] = {"options": vars(options)}
    try:
        _say(f"setting up an isolated hub on {settings.bootstrap} (work dir {workdir}) …")
        hub = build_hub(settings, workdir / "pipeline")
        pipeline = PipelineRun(hub, options, profile_dir=args.profile)
        try:
            result.update(asyncio.run(pipeline.run()))
        finally:
            pipeline.close()
            hub.close()
        rows = pipeline.rows
        report.add_ratios(rows)
        verify: dict[str, Any] = {}
        if "verify" in chosen:
            _say("verify agent: per-event vs batch signatures …")
            vhub = build_hub(settings, workdir / "verify")
            try:
                verify["rows"] = asyncio.run(in_worker(vhub, options.duration_s, 2, options.batch))
            finally:
                vhub.close()
        verify["pure_us"] = {
            k: round(v, 1) for k, v in pure(count=200 if args.smoke else 2000).items()
        }
        verify["summary"] = summary(verify.get("rows", []), verify["pure_us"])
        result.update(rows=rows, verify=verify, targets=report.targets(rows, verify))
        path = report.write(result, Path(args.out) if args.out else report.RESULTS_DIR)
        print(report.table(rows))
        print()
        print(report.verify_table(verify))
        print()
        for line in result["targets"]:
            print(line)
        print(f"results: {path}")
        result["path"] = str(path)
        return result
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def _handle(args: argparse.Namespace) -> int:
    if args.variants is None and not args.smoke:
        args.variants = list(VARIANTS)
    run(args)
    return 0


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--smoke", action="store_true", help="a few seconds, to keep it working")
    parser.add_argument("--duration", type=float, help="seconds per phase (default 10)")
    parser.add_argument(
        "--variants",
        nargs="*",
        choices=VARIANTS,
        default=None,
        help=f"beyond baseline + hub 1 KB batch (default all but in --smoke: none): {VARIANTS}",
    )
    parser.add_argument("--rate", type=float, default=1000.0, help="fixed offered load, ev/s")
    parser.add_argument("--out", help="directory for the JSON result (default bench/results)")
    parser.add_argument("--profile", help="run worker 1 under pyinstrument, text report here")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (worker logs)")
    parser.set_defaults(handler=_handle)


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``hub bench`` (the lead wires this into hub_api/cli.py)."""
    configure(sub.add_parser("bench", help="benchmark the hub against raw Kafka"))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bench``"""
    import logging

    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    configure(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    handler = args.handler
    assert callable(handler)
    return int(handler(args))
