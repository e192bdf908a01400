"""The benchmark's output: a table on stdout and a JSON file under ``bench/results/``."""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _baseline_for(rows: Sequence[dict[str, Any]], row: dict[str, Any]) -> dict[str, Any] | None:
    """The baseline phase of the same mode, size and workers run just before ``row``."""
    found = None
    for other in rows:
        if other is row:
            return found
        if (
            other["path"] == "baseline"
            and other["mode"] == ("flood" if row["mode"] == "flood" else "paced")
            and other["size"] == row["size"]
            and other["workers"] == row["workers"]
        ):
            found = other
    return found


def add_ratios(rows: Sequence[dict[str, Any]]) -> None:
    """``ratio``: hub throughput / the baseline's (flood phases), in place."""
    for row in rows:
        if row["path"] not in ("hub", "http") or row["mode"] != "flood":
            continue
        base = _baseline_for(rows, row)
        if base and base["throughput_eps"]:
            row["ratio"] = round(row["throughput_eps"] / base["throughput_eps"], 3)


def _fmt(value: Any, spec: str = ".0f") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return format(value, spec) if isinstance(value, int | float) else str(value)


def _path(row: dict[str, Any]) -> str:
    """``http/1``, ``http/100``: the HTTP path with its events per request."""
    per_request = row.get("per_request")
    return f"{row['path']}/{per_request}" if per_request else str(row["path"])


def _cpu(row: dict[str, Any], prefix: str) -> str:
    procs = [p for p in row.get("processes", []) if p["name"].startswith(prefix)]
    if not procs:
        return "-"
    cpu = sum(p["cpu_pct"] for p in procs)
    rss = max(p["peak_rss_mb"] for p in procs)
    return f"{cpu:.0f}%/{rss:.0f}M"


def table(rows: Sequence[dict[str, Any]]) -> str:
    """One line per phase: throughput, ratio, latency percentiles, CPU and peak RSS."""
    head = (
        f"{'path':<9}{'mode':<7}{'size':>6}{'sig':>6}{'wk':>3}{'offered':>8}{'ev/s':>8}"
        f"{'ratio':>7}{'p50':>7}{'p95':>7}{'p99':>7}  {'worker/copier':<14}{'broker':<12}"
        f"{'bench':<11}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        mover = "copier" if r["path"] == "baseline" else "worker"
        lines.append(
            f"{_path(r):<9}{r['mode']:<7}{r['size']:>6}{r['signatures']:>6}{r['workers']:>3}"
            f"{_fmt(r.get('offered_eps')):>8}{_fmt(r['throughput_eps']):>8}"
            f"{_fmt(r.get('ratio'), '.2f'):>7}{_fmt(r['p50_ms']):>7}{_fmt(r['p95_ms']):>7}"
            f"{_fmt(r['p99_ms']):>7}  {_cpu(r, mover):<14}{_cpu(r, 'broker'):<12}"
            f"{_cpu(r, 'bench'):<11}"
        )
    for r in rows:
        if r.get("per_request"):
            lines.append(
                f"{_path(r)}: {r['requests']} requests (POST to 202: p50 "
                f"{_fmt(r.get('request_p50_ms'), '.1f')} ms, p99 "
                f"{_fmt(r.get('request_p99_ms'), '.1f')} ms, API CPU {_cpu(r, 'api')}); "
                f"not accepted: {r['failures'] or 'none'}"
            )
    return "\n".join(lines)


def verify_table(verify: dict[str, Any]) -> str:
    lines = ["verify agent (issue 4): per-event vs batch signatures"]
    for row in verify.get("rows", []):
        lines.append(
            f"  round {row['round']} {row['signatures']:<6}{row['throughput_eps']:>9.0f} ev/s"
            f"  worker CPU {row['worker_cpu_pct']:.0f}%"
        )
    pure = verify.get("pure_us", {})
    if pure:
        lines.append(
            "  Verifier.check µs/event: "
            + ", ".join(f"{k.removesuffix('_us')} {v:.1f}" for k, v in pure.items())
        )
    s = verify.get("summary", {})
    if s:
        lines.append(
            f"  batch/event: in worker {_fmt(s.get('worker_ratio'), '.2f')}x, "
            f"pure check {_fmt(s.get('pure_ratio'), '.2f')}x (target {s['target_ratio']:.0f}x)"
        )
    return "\n".join(lines)


def targets(rows: Sequence[dict[str, Any]], verify: dict[str, Any]) -> list[str]:
    """The design's targets, met or missed, from this run's figures."""
    out = []
    ratios = [
        r["ratio"]
        for r in rows
        if "ratio" in r and r["path"] == "hub" and r["signatures"] == "batch"
    ]
    if ratios:
        worst = min(ratios)
        out.append(f"hub/baseline throughput >= 0.50: {worst:.2f} ({_met(worst >= 0.5)})")
    paced = [r for r in rows if r["path"] == "hub" and r["mode"] == "paced" and r["workers"] == 1]
    for r in paced:
        p99 = r["p99_ms"]
        load = f"{r['offered_eps']:.0f} ev/s"
        out.append(f"p99 <= 100 ms at {load}: {p99:.0f} ms ({_met(p99 <= 100)})")
    ratio = verify.get("summary", {}).get("worker_ratio")
    if ratio is not None:
        out.append(f"verify batch/per-event >= 5x: {ratio:.2f}x ({_met(ratio >= 5)})")
    return out


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def write(result: dict[str, Any], directory: Path = RESULTS_DIR) -> Path:
    """Write the run as JSON (with the machine's description) and return the path."""
    directory.mkdir(parents=True, exist_ok=True)
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **result,
    }
    path = directory / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=2, default=str))
    return path


# --- per-process usage ---------------------------------------------------------------


def broker_pid() -> int | None:
    """The local Kafka broker's pid (from ``hub kafka start``'s pid file), if it runs here."""
    from hub_settings import load_settings

    pid_file = load_settings().local_kafka.home / "broker.pid"
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if psutil.pid_exists(pid) else None


@dataclass
class ProcessUsage:
    """CPU used (in % of one core, averaged over the phase) and peak/last RSS of a process."""

    name: str
    cpu_pct: float
    peak_rss_mb: float
    first_rss_mb: float
    last_rss_mb: float


class Sampler:
    """Samples CPU time and RSS of named processes in a thread (no child scan: cheap)."""

    def __init__(self, pids: Mapping[str, int], interval_s: float = 0.5) -> None:
        self._procs = {name: psutil.Process(pid) for name, pid in pids.items()}
        self._interval = interval_s
        self._stop = threading.Event()
        self._cpu0: dict[str, float] = {}
        self._rss: dict[str, list[float]] = {name: [] for name in pids}
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._t0 = 0.0

    @staticmethod
    def _cpu(proc: psutil.Process) -> float:
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            return float(times.user + times.system)
        return 0.0

    @staticmethod
    def _rss_mb(proc: psutil.Process) -> float:
        with contextlib.suppress(psutil.Error):
            return float(proc.memory_info().rss / 1e6)
        return 0.0

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            for name, proc in self._procs.items():
                self._rss[name].append(self._rss_mb(proc))

    def __enter__(self) -> Sampler:
        self._t0 = time.monotonic()
        self._cpu0 = {name: self._cpu(p) for name, p in self._procs.items()}
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.elapsed = time.monotonic() - self._t0
        self.usage = []
        for name, proc in self._procs.items():
            rss = self._rss[name] or [self._rss_mb(proc)]
            cpu = (self._cpu(proc) - self._cpu0[name]) / max(self.elapsed, 1e-9) * 100
            self.usage.append(ProcessUsage(name, cpu, max(rss), rss[0], rss[-1]))
