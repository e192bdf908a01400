"""The local broker manager: pinned version, configuration, and its failure messages."""

from __future__ import annotations

import re
import socket
import subprocess
from pathlib import Path

import pytest
from pydantic import SecretStr

from hub_api import localkafka
from hub_api._broker_config import scram_format_argument
from hub_api.localkafka import (
    KAFKA_VERSION,
    POM_PATH,
    LocalKafka,
    LocalKafkaError,
    new_cluster_id,
    server_properties,
)
from hub_settings import LocalKafkaSettings


def test_pom_pins_the_same_version_as_the_code() -> None:
    pinned = re.search(r"<kafka.version>([^<]+)</kafka.version>", POM_PATH.read_text())
    assert pinned is not None
    assert pinned.group(1) == KAFKA_VERSION


def test_cluster_id_shape() -> None:
    for _ in range(200):
        cid = new_cluster_id()
        assert len(cid) == 22
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", cid)
        assert not cid.startswith("-")


def _props(settings: LocalKafkaSettings, data_dir: Path) -> dict[str, str]:
    text = server_properties(settings, data_dir)
    return dict(line.split("=", 1) for line in text.splitlines())


def test_server_properties_single_node_kraft_on_loopback(tmp_path: Path) -> None:
    settings = LocalKafkaSettings(port=19999, controller_port=19998, secure_port=19997)
    props = _props(settings, tmp_path)
    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:19998"
    assert props["listeners"] == (
        "PLAINTEXT://127.0.0.1:19999,SASL_SSL://127.0.0.1:19997,CONTROLLER://127.0.0.1:19998"
    )
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["log.dirs"] == str(tmp_path)


def test_server_properties_secure_listener_and_deny_by_default(tmp_path: Path) -> None:
    settings = LocalKafkaSettings(home=tmp_path / "k", admin_username="root-admin")
    props = _props(settings, tmp_path / "data")
    assert props["listener.security.protocol.map"] == (
        "PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT"
    )
    assert props["listener.name.sasl_ssl.sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert (
        "ScramLoginModule required;"
        in props["listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config"]
    )
    assert props["listener.name.sasl_ssl.ssl.keystore.type"] == "PEM"
    assert props["listener.name.sasl_ssl.ssl.keystore.location"].startswith(str(tmp_path / "k"))
    assert props["authorizer.class.name"].endswith("StandardAuthorizer")
    assert props["allow.everyone.if.no.acl.found"] == "false"
    # the controller and dev listeners are PLAINTEXT (User:ANONYMOUS); the SCRAM admin
    assert props["super.users"] == "User:ANONYMOUS;User:root-admin"
    assert props["inter.broker.listener.name"] == "PLAINTEXT"


def test_admin_scram_argument_for_format() -> None:
    settings = LocalKafkaSettings(admin_username="admin", admin_password=SecretStr("s3cret"))
    assert scram_format_argument(settings) == 'SCRAM-SHA-512=[name=admin,password="s3cret"]'


def _fake_format(calls: list[list[str]]) -> object:
    def run(cmd: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        calls.append(cmd)
        data_dir = Path(cmd[cmd.index("-c") + 1]).parent / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / "meta.properties").write_text("cluster.id=x\n")
        return subprocess.CompletedProcess(cmd, 0, "", "")

    return run


def test_storage_formatted_before_broker_security_is_wiped_and_formatted_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []
    monkeypatch.setattr("hub_api.localkafka.subprocess.run", _fake_format(calls))
    monkeypatch.setattr(localkafka, "require_tools", lambda: ("java", "mvn"))
    messages: list[str] = []
    broker = LocalKafka(LocalKafkaSettings(home=tmp_path / "k"), progress=messages.append)
    old = broker.data_dir
    old.mkdir(parents=True)
    (old / "meta.properties").write_text("cluster.id=old\n")
    (old / "old-topic-0").mkdir()

    broker.ensure_storage()

    assert not (old / "old-topic-0").exists()
    assert len(calls) == 1
    assert "--add-scram" in calls[0]
    assert any("formatted without broker security" in m for m in messages)
    assert (tmp_path / "k" / "tls" / "ca.pem").exists()
    broker.ensure_storage()  # idempotent: formatted with security, nothing to do
    assert len(calls) == 1


def test_missing_java_or_maven_says_which_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty PATH: neither java nor mvn
    broker = LocalKafka(LocalKafkaSettings(cache_dir=tmp_path / "jars", home=tmp_path / "k"))
    with pytest.raises(LocalKafkaError) as caught:
        broker.ensure_jars()
    assert caught.value.exit_code == 2
    assert "java" in str(caught.value)
    assert "mvn" in str(caught.value)
    assert "apt-get install" in str(caught.value)


def test_port_taken_by_a_stranger_is_refused(tmp_path: Path) -> None:
    with socket.socket() as stranger:
        stranger.bind(("127.0.0.1", 0))
        stranger.listen()
        port = stranger.getsockname()[1]
        broker = LocalKafka(
            LocalKafkaSettings(port=port, controller_port=port + 1, home=tmp_path / "k")
        )
        with pytest.raises(LocalKafkaError, match=f"127.0.0.1:{port} is taken"):
            broker.start()
    assert not (tmp_path / "k" / "broker.pid").exists()


def test_status_when_not_running(tmp_path: Path) -> None:
    broker = LocalKafka(LocalKafkaSettings(port=1, home=tmp_path / "k"))
    status = broker.status()
    assert not status.running
    assert "not running" in status.describe()
