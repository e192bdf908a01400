"""Process plumbing of the local broker: tools, jars, ports, pids, readiness."""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

Progress = Callable[[str], None]
COMPLETE_MARKER = ".complete"


class LocalKafkaError(Exception):
    """A local broker problem a person must act on; ``exit_code`` is what the CLI returns."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def silent(_: str) -> None:
    return None


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited child not yet reaped) counts as dead.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def new_cluster_id() -> str:
    """A KRaft cluster id: URL-safe base64 of 16 random bytes, unpadded, not starting '-'."""
    while True:
        cid = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()
        if not cid.startswith("-"):
            return cid


def require_tools() -> tuple[str, str]:
    """The paths of ``java`` and ``mvn``, or a :class:`LocalKafkaError` naming the missing."""
    java, mvn = shutil.which("java"), shutil.which("mvn")
    missing = [
        f"{name} (install it: apt-get install {pkg})"
        for name, path, pkg in (
            ("java", java, "openjdk-17-jre-headless"),
            ("mvn", mvn, "maven"),
        )
        if path is None
    ]
    if missing or java is None or mvn is None:
        raise LocalKafkaError(
            "The local Kafka broker needs Java 17+ and Maven; missing: " + ", ".join(missing),
            exit_code=2,
        )
    return java, mvn


def fetch_jars(jars_dir: Path, pom: Path, version: str, progress: Progress) -> None:
    """Copy the broker jars with Maven into ``jars_dir`` (atomically, via a staging dir)."""
    mvn = require_tools()[1]
    progress(f"Fetching Apache Kafka {version} jars from Maven Central …")
    staging = jars_dir.with_name(jars_dir.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    cmd = [
        mvn,
        "-B",
        "-q",
        "-f",
        str(pom),
        f"-Dkafka.version={version}",
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={staging}",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise LocalKafkaError(
            "Maven could not fetch the Kafka jars:\n"
            f"{(result.stdout + result.stderr)[-2000:]}\n"
            "Check that Maven Central is reachable, then run `hub kafka start` again.",
        )
    (staging / COMPLETE_MARKER).write_text(version)
    shutil.rmtree(jars_dir, ignore_errors=True)
    staging.rename(jars_dir)
    progress(f"Cached {len(list(jars_dir.glob('*.jar')))} jars in {jars_dir}")


def reap(pid: int) -> None:
    """Collect our own child's exit status so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def metadata_ready(bootstrap: str) -> bool:
    """True when the broker answers a metadata request (not just an open port)."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap,
            request_timeout_ms=3000,
        )
    except (KafkaError, OSError, ValueError):
        return False
    try:
        admin.list_topics()
        return True
    except (KafkaError, OSError):
        return False
    finally:
        admin.close()
