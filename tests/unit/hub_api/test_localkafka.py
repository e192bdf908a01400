"""The local broker manager: pinned version, configuration, and its failure messages."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

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


def test_server_properties_single_node_kraft_on_loopback(tmp_path: Path) -> None:
    settings = LocalKafkaSettings(port=19999, controller_port=19998)
    props = dict(line.split("=", 1) for line in server_properties(settings, tmp_path).splitlines())
    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:19998"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19999,CONTROLLER://127.0.0.1:19998"
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["log.dirs"] == str(tmp_path)


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
