"""The local single-node Kafka broker (KRaft) for development and tests, run from Maven jars.

``hub kafka start`` fetches the pinned Apache Kafka jars with Maven into a cache outside the
repository, formats KRaft storage once, starts ``kafka.Kafka`` with a small heap, and waits
until the broker answers metadata requests. No Docker, no tarball.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hub_settings import LocalKafkaSettings

KAFKA_VERSION = "4.0.2"
"""The pinned broker version; the same as in deploy/local/pom.xml (a unit test checks)."""

POM_PATH = Path(__file__).resolve().parents[1] / "deploy" / "local" / "pom.xml"
_BROKER_MAIN = "kafka.Kafka"
_STORAGE_TOOL = "kafka.tools.StorageTool"
_COMPLETE_MARKER = ".complete"

Progress = Callable[[str], None]


class LocalKafkaError(Exception):
    """A local broker problem a person must act on; ``exit_code`` is what the CLI returns."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class BrokerStatus:
    """What ``hub kafka status`` reports."""

    running: bool
    pid: int | None
    bootstrap: str
    log_file: Path

    def describe(self) -> str:
        if self.running:
            return f"Kafka {KAFKA_VERSION} running (pid {self.pid}) at {self.bootstrap}"
        return f"Kafka not running (would listen at {self.bootstrap}); log: {self.log_file}"


def _silent(_: str) -> None:
    return None


def _port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _pid_alive(pid: int) -> bool:
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


def server_properties(settings: LocalKafkaSettings, data_dir: Path) -> str:
    """The broker configuration: one node acting as broker and controller on loopback."""
    host, port, cport = settings.host, settings.port, settings.controller_port
    lines = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@{host}:{cport}",
        "listeners": f"PLAINTEXT://{host}:{port},CONTROLLER://{host}:{cport}",
        "advertised.listeners": f"PLAINTEXT://{host}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": "1",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "10",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "true",
        "log.retention.hours": "168",
        "log.segment.bytes": str(64 * 1024 * 1024),
    }
    return "".join(f"{key}={value}\n" for key, value in lines.items())


_LOG4J2 = """<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN">
  <Appenders>
    <Console name="stdout" target="SYSTEM_OUT">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Logger name="kafka" level="INFO"/>
    <Logger name="org.apache.kafka" level="INFO"/>
    <Logger name="state.change.logger" level="WARN"/>
    <Logger name="kafka.request.logger" level="WARN"/>
    <Root level="WARN"><AppenderRef ref="stdout"/></Root>
  </Loggers>
</Configuration>
"""


class LocalKafka:
    """One local broker: its jars, its storage, its process."""

    def __init__(self, settings: LocalKafkaSettings, progress: Progress = _silent) -> None:
        self.settings = settings
        self.progress = progress
        self.home = settings.home
        self.jars_dir = settings.cache_dir / KAFKA_VERSION
        self.data_dir = self.home / "data"
        self.log_file = self.home / "broker.log"
        self.pid_file = self.home / "broker.pid"
        self.config_file = self.home / "server.properties"
        self.log4j_file = self.home / "log4j2.xml"

    # -- installation ------------------------------------------------------------------
    def ensure_jars(self) -> Path:
        """Fetch the broker jars with Maven once; later calls reuse the cache."""
        if (self.jars_dir / _COMPLETE_MARKER).exists():
            return self.jars_dir
        java, mvn = self._require_tools()
        del java
        self.progress(f"Fetching Apache Kafka {KAFKA_VERSION} jars from Maven Central …")
        staging = self.jars_dir.with_name(self.jars_dir.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        cmd = [
            mvn,
            "-B",
            "-q",
            "-f",
            str(POM_PATH),
            f"-Dkafka.version={KAFKA_VERSION}",
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
        (staging / _COMPLETE_MARKER).write_text(KAFKA_VERSION)
        shutil.rmtree(self.jars_dir, ignore_errors=True)
        staging.rename(self.jars_dir)
        self.progress(f"Cached {len(list(self.jars_dir.glob('*.jar')))} jars in {self.jars_dir}")
        return self.jars_dir

    def _require_tools(self) -> tuple[str, str]:
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

    def _java(self) -> str:
        return self._require_tools()[0]

    def _classpath(self) -> str:
        return str(self.jars_dir / "*")

    def _java_cmd(self, main: str, *args: str, heap_mb: int) -> list[str]:
        return [
            self._java(),
            f"-Xmx{heap_mb}m",
            f"-Xms{min(heap_mb, 256)}m",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.log4j_file}",
            "-cp",
            self._classpath(),
            main,
            *args,
        ]

    def ensure_storage(self) -> None:
        """Write the configuration and format KRaft storage the first time."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(server_properties(self.settings, self.data_dir))
        self.log4j_file.write_text(_LOG4J2)
        if (self.data_dir / "meta.properties").exists():
            return
        self.progress(f"Formatting KRaft storage in {self.data_dir}")
        cmd = self._java_cmd(
            _STORAGE_TOOL,
            "format",
            "-t",
            new_cluster_id(),
            "-c",
            str(self.config_file),
            heap_mb=256,
        )
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise LocalKafkaError(f"Formatting Kafka storage failed:\n{result.stdout[-2000:]}")

    # -- process -------------------------------------------------------------------------
    def _pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _pid_alive(pid) else None

    def status(self) -> BrokerStatus:
        pid = self._pid()
        running = pid is not None and _port_open(self.settings.host, self.settings.port)
        return BrokerStatus(running, pid, self.settings.bootstrap, self.log_file)

    def log_tail(self, lines: int = 40) -> str:
        """The end of the broker log, for failure messages."""
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return "(no broker log yet)"
        return "\n".join(text.splitlines()[-lines:])

    def start(self) -> bool:
        """Start the broker; False when ours was already running (nothing done)."""
        if self.status().running:
            self.progress(f"Kafka is already running at {self.settings.bootstrap}")
            return False
        for port in (self.settings.port, self.settings.controller_port):
            if _port_open(self.settings.host, port):
                raise LocalKafkaError(
                    f"Port {self.settings.host}:{port} is taken by another process that is "
                    "not this hub's broker. Stop it, or choose other ports with "
                    "HUB_LOCAL_KAFKA_PORT / HUB_LOCAL_KAFKA_CONTROLLER_PORT.",
                )
        self.ensure_jars()
        self.ensure_storage()
        self.progress(f"Starting Kafka {KAFKA_VERSION} at {self.settings.bootstrap}")
        cmd = self._java_cmd(_BROKER_MAIN, str(self.config_file), heap_mb=self.settings.heap_mb)
        with self.log_file.open("ab") as log:
            proc = subprocess.Popen(  # noqa: S603
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pid_file.write_text(str(proc.pid))
        self._wait_ready(proc)
        self.progress(f"Kafka ready at {self.settings.bootstrap} (pid {proc.pid})")
        return True

    def _wait_ready(self, proc: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + self.settings.start_timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise LocalKafkaError(
                    f"The Kafka broker exited with code {proc.returncode} while starting. "
                    f"Last lines of {self.log_file}:\n{self.log_tail()}",
                )
            if _port_open(self.settings.host, self.settings.port) and metadata_ready(
                self.settings.bootstrap,
            ):
                return
            time.sleep(0.3)
        raise LocalKafkaError(
            f"Kafka did not answer metadata requests within {self.settings.start_timeout_s:.0f}s."
            f" Last lines of {self.log_file}:\n{self.log_tail()}",
        )

    def stop(self, timeout_s: float = 30.0) -> bool:
        """Stop the broker cleanly (SIGTERM, then SIGKILL); False when it was not running."""
        pid = self._pid()
        if pid is None:
            return False
        self.progress(f"Stopping Kafka (pid {pid})")
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and _pid_alive(pid):
            _reap(pid)
            time.sleep(0.2)
        if _pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
            while _pid_alive(pid):
                _reap(pid)
                time.sleep(0.1)
        self.pid_file.unlink(missing_ok=True)
        return True

    def kill(self) -> None:
        """SIGKILL the broker (fault tests): no clean shutdown."""
        pid = self._pid()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            while _pid_alive(pid):
                _reap(pid)
                time.sleep(0.05)


def _reap(pid: int) -> None:
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
