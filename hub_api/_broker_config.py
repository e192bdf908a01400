"""The local broker's ``server.properties`` and logging configuration.

Three listeners on loopback: PLAINTEXT (development only; its anonymous principal is a
super user), SASL_SSL with SCRAM-SHA-512 for clients that authenticate as agencies or hub
workers, and CONTROLLER (PLAINTEXT: the KRaft controller listener cannot use SCRAM).
StandardAuthorizer denies everything no ACL allows.
"""

from __future__ import annotations

from pathlib import Path

from hub_api._broker_tls import BrokerTlsFiles
from hub_settings import LocalKafkaSettings

SECURE_LISTENER = "SASL_SSL"
SCRAM_MECHANISM = "SCRAM-SHA-512"
SECURITY_LAYOUT = "sasl_ssl-scram-sha-512+standard-authorizer/1"
"""Written next to formatted storage; storage without it predates broker security."""

_SCRAM_LOGIN = "org.apache.kafka.common.security.scram.ScramLoginModule required;"


def super_users(settings: LocalKafkaSettings) -> list[str]:
    """ANONYMOUS: the PLAINTEXT controller and dev listeners; the SCRAM admin."""
    return ["User:ANONYMOUS", f"User:{settings.admin_username}"]


def server_properties(settings: LocalKafkaSettings, data_dir: Path) -> str:
    """The broker configuration: one node acting as broker and controller on loopback."""
    host, port, cport = settings.host, settings.port, settings.controller_port
    sport = settings.secure_port
    secure = f"listener.name.{SECURE_LISTENER.lower()}"
    tls = BrokerTlsFiles(settings.tls_dir)
    lines = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@{host}:{cport}",
        "listeners": (
            f"PLAINTEXT://{host}:{port},{SECURE_LISTENER}://{host}:{sport},"
            f"CONTROLLER://{host}:{cport}"
        ),
        "advertised.listeners": f"PLAINTEXT://{host}:{port},{SECURE_LISTENER}://{host}:{sport}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": (
            f"PLAINTEXT:PLAINTEXT,{SECURE_LISTENER}:SASL_SSL,CONTROLLER:PLAINTEXT"
        ),
        f"{secure}.sasl.enabled.mechanisms": SCRAM_MECHANISM,
        f"{secure}.{SCRAM_MECHANISM.lower()}.sasl.jaas.config": _SCRAM_LOGIN,
        f"{secure}.ssl.keystore.type": "PEM",
        f"{secure}.ssl.keystore.location": str(tls.keystore),
        f"{secure}.ssl.client.auth": "none",
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "allow.everyone.if.no.acl.found": "false",
        "super.users": ";".join(super_users(settings)),
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


def scram_format_argument(settings: LocalKafkaSettings) -> str:
    """The ``--add-scram`` value that creates the admin's credential at format time."""
    password = settings.admin_password.get_secret_value().replace('"', '\\"')
    return f'{SCRAM_MECHANISM}=[name={settings.admin_username},password="{password}"]'


LOG4J2 = """<?xml version="1.0" encoding="UTF-8"?>
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
    <Logger name="kafka.authorizer.logger" level="WARN"/>
    <Root level="WARN"><AppenderRef ref="stdout"/></Root>
  </Loggers>
</Configuration>
"""
