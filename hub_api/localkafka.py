"""The local single-node Kafka broker (KRaft) for development and tests, run from Maven jars.

``hub kafka start`` fetches the pinned Apache Kafka jars with Maven into a cache outside the
repository, creates a dev CA and broker certificate, formats KRaft storage once (with the
SCRAM admin), starts ``kafka.Kafka`` with a small heap, and waits until the broker answers
metadata requests. No Docker, no tarball. Listeners: see :mod:`hub_api._broker_config`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from hub_api._broker_config import (
    LOG4J2,
    SCRAM_MECHANISM,
    SECURITY_LAYOUT,
    scram_format_argument,
    server_properties,
)
from hub_api._broker_process import (
    COMPLETE_MARKER,
    LocalKafkaError,
    Progress,
    fetch_jars,
    metadata_ready,
    new_cluster_id,
    pid_alive,
    port_open,
    reap,
    require_tools,
    silent,
)
from hub_api._broker_tls import ensure_broker_tls
from hub_settings import LocalKafkaSettings

__all__ = [
    "KAFKA_VERSION",
    "POM_PATH",
    "BrokerStatus",
    "LocalKafka",
    "LocalKafkaError",
    "metadata_ready",
    "new_cluster_id",
    "server_properties",
]

KAFKA_VERSION = "4.0.2"
"""The pinned broker version; the same as in deploy/local/pom.xml (a unit test checks)."""

POM_PATH = Path(__file__).resolve().parents[1] / "deploy" / "local" / "pom.xml"
_BROKER_MAIN = "kafka.Kafka"
_STORAGE_TOOL = "kafka.tools.StorageTool"
_SECURITY_MARKER = "security-layout"


@dataclass(frozen=True)
class BrokerStatus:
    """What ``hub kafka status`` reports."""

    running: bool
    pid: int | None
    bootstrap: str
    log_file: Path
    secure_bootstrap: str = ""
    secure_running: bool = False

    def describe(self) -> str:
        secure = f"; SASL_SSL at {self.secure_bootstrap}" if self.secure_bootstrap else ""
        if self.running:
            if self.secure_bootstrap and not self.secure_running:
                secure = "; no SASL_SSL listener (started by an older hub: restart it)"
            return f"Kafka {KAFKA_VERSION} running (pid {self.pid}) at {self.bootstrap}{secure}"
        return f"Kafka not running (would listen at {self.bootstrap}{secure}); log: {self.log_file}"


class LocalKafka:
    """One local broker: its jars, its storage, its process."""

    def __init__(self, settings: LocalKafkaSettings, progress: Progress = silent) -> None:
        self.settings = settings
        self.progress = progress
        self.home = settings.home
        self.jars_dir = settings.cache_dir / KAFKA_VERSION
        self.data_dir = self.home / "data"
        self.log_file = self.home / "broker.log"
        self.pid_file = self.home / "broker.pid"
        self.config_file = self.home / "server.properties"
        self.log4j_file = self.home / "log4j2.xml"
        self.security_marker = self.home / _SECURITY_MARKER
        self._proc: subprocess.Popen[bytes] | None = None

    # -- installation ------------------------------------------------------------------
    def ensure_jars(self) -> Path:
        """Fetch the broker jars with Maven once; later calls reuse the cache."""
        if not (self.jars_dir / COMPLETE_MARKER).exists():
            fetch_jars(self.jars_dir, POM_PATH, KAFKA_VERSION, self.progress)
        return self.jars_dir

    def _java(self) -> str:
        return require_tools()[0]

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
        """Write the configuration and TLS files; format KRaft storage when needed.

        Storage formatted by an older hub (no SCRAM admin, no authorizer) is wiped and
        formatted again: the dev broker's topics are disposable, its security is not.
        """
        self.home.mkdir(parents=True, exist_ok=True)
        for done in ensure_broker_tls(self.settings.tls_dir, self.settings.host)[1]:
            self.progress(f"TLS: {done}")
        self.config_file.write_text(server_properties(self.settings, self.data_dir))
        self.log4j_file.write_text(LOG4J2)
        formatted = (self.data_dir / "meta.properties").exists()
        if formatted and self._security_layout() == SECURITY_LAYOUT:
            return
        if formatted:
            self.progress(
                f"Kafka storage in {self.data_dir} was formatted without broker security "
                "(SASL_SSL, SCRAM admin, ACLs); wiping it and formatting again. "
                "Topics on the local dev broker are lost.",
            )
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.security_marker.unlink(missing_ok=True)
        self.progress(f"Formatting KRaft storage in {self.data_dir}")
        cmd = self._java_cmd(
            _STORAGE_TOOL,
            "format",
            "-t",
            new_cluster_id(),
            "-c",
            str(self.config_file),
            "--add-scram",
            scram_format_argument(self.settings),
            heap_mb=256,
        )
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            output = (result.stdout + result.stderr)[-2000:]
            raise LocalKafkaError(f"Formatting Kafka storage failed:\n{output}")
        self.security_marker.write_text(SECURITY_LAYOUT + "\n")

    def _security_layout(self) -> str:
        try:
            return self.security_marker.read_text().strip()
        except OSError:
            return ""

    # -- process -------------------------------------------------------------------------
    def _pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if pid_alive(pid) else None

    def status(self) -> BrokerStatus:
        pid = self._pid()
        host = self.settings.host
        running = pid is not None and port_open(host, self.settings.port)
        secure = running and port_open(host, self.settings.secure_port)
        return BrokerStatus(
            running,
            pid,
            self.settings.bootstrap,
            self.log_file,
            self.settings.secure_bootstrap,
            secure,
        )

    def log_tail(self, lines: int = 40) -> str:
        """The end of the broker log, for failure messages."""
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return "(no broker log yet)"
        return "\n".join(text.splitlines()[-lines:])

    def start(self) -> bool:
        """Start the broker; False when ours was already running (nothing done)."""
        status = self.status()
        if status.running and status.secure_running:
            self.progress(
                f"Kafka is already running at {self.settings.bootstrap} "
                f"(SASL_SSL at {self.settings.secure_bootstrap})"
            )
            return False
        if status.running:
            self.progress(
                "The running broker has no SASL_SSL listener (started by an older hub); "
                "restarting it with broker security."
            )
            self.stop()
        ports = (self.settings.port, self.settings.secure_port, self.settings.controller_port)
        for port in ports:
            if port_open(self.settings.host, port):
                raise LocalKafkaError(
                    f"Port {self.settings.host}:{port} is taken by another process that is "
                    "not this hub's broker. Stop it, or choose other ports with "
                    "HUB_LOCAL_KAFKA_PORT / HUB_LOCAL_KAFKA_SECURE_PORT / "
                    "HUB_LOCAL_KAFKA_CONTROLLER_PORT.",
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
        self._proc = proc  # kept, so that it is not collected (ResourceWarning) while running
        self.pid_file.write_text(str(proc.pid))
        self._wait_ready(proc)
        self._ensure_admin_credential()
        self.progress(
            f"Kafka ready at {self.settings.bootstrap}, SASL_SSL at "
            f"{self.settings.secure_bootstrap} (pid {proc.pid}; CA {self.settings.ca_file})"
        )
        return True

    def _ensure_admin_credential(self) -> None:
        """Set the admin's SCRAM password from the settings (it may have changed since format)."""
        from kafka import KafkaAdminClient
        from kafka.admin import UserScramCredentialUpsertion

        admin = KafkaAdminClient(bootstrap_servers=self.settings.bootstrap)
        try:
            password = self.settings.admin_password.get_secret_value()
            upsert = UserScramCredentialUpsertion(
                self.settings.admin_username, SCRAM_MECHANISM, password
            )
            errors = admin.alter_user_scram_credentials([upsert])
        finally:
            admin.close()
        failed = {user: error for user, error in errors.items() if error}
        if failed:
            raise LocalKafkaError(f"Could not set the SCRAM admin credential: {failed}")

    def _wait_ready(self, proc: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + self.settings.start_timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise LocalKafkaError(
                    f"The Kafka broker exited with code {proc.returncode} while starting. "
                    f"Last lines of {self.log_file}:\n{self.log_tail()}",
                )
            host = self.settings.host
            if (
                port_open(host, self.settings.port)
                and port_open(host, self.settings.secure_port)
                and metadata_ready(self.settings.bootstrap)
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
        while time.monotonic() < deadline and pid_alive(pid):
            self._reap(pid)
            time.sleep(0.2)
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
            while pid_alive(pid):
                self._reap(pid)
                time.sleep(0.1)
        self._reap(pid)
        self.pid_file.unlink(missing_ok=True)
        return True

    def _reap(self, pid: int) -> None:
        if self._proc is not None and self._proc.pid == pid:
            self._proc.poll()  # reaps our child and records its exit code
        else:
            reap(pid)

    def kill(self) -> None:
        """SIGKILL the broker (fault tests): no clean shutdown."""
        pid = self._pid()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            while pid_alive(pid):
                self._reap(pid)
                time.sleep(0.05)
            self._reap(pid)
