"""``hub kafka start|status`` as a user runs them, against the broker this session uses."""

from __future__ import annotations

import os
import subprocess

import pytest

from hub_settings import HubSettings
from tests.support.pipeline import kafka_env
from tests.support.processes import REPO, python_module

pytestmark = pytest.mark.integration


def _hub_kafka(action: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        python_module("hub_api.cli", "kafka", action),
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_second_start_says_the_broker_runs_and_starts_nothing(settings: HubSettings) -> None:
    """Locally: our broker answers, so ``start`` says so (exit 0); against an external
    cluster (HUB_KAFKA_BOOTSTRAP) it names that cluster instead. Neither starts a broker."""
    env = {**os.environ, **kafka_env(settings.kafka, settings.bootstrap)}
    if not settings.kafka.external:
        env.pop("HUB_KAFKA_BOOTSTRAP", None)
        env["HUB_LOCAL_KAFKA_HOME"] = str(settings.local_kafka.home)
        env["HUB_LOCAL_KAFKA_PORT"] = str(settings.local_kafka.port)
    before = _hub_kafka("status", env)
    started = _hub_kafka("start", env)
    after = _hub_kafka("status", env)

    assert started.returncode == 0, started.stderr
    if settings.kafka.external:
        assert f"HUB_KAFKA_BOOTSTRAP={settings.kafka.bootstrap} is set" in started.stderr
    else:
        assert "already running" in started.stderr, started.stderr
        assert before.returncode == after.returncode == 0
        assert before.stdout == after.stdout  # the same broker process (pid in the status)


def test_an_external_cluster_means_the_local_broker_is_not_managed(
    settings: HubSettings,
) -> None:
    env = {**os.environ, "HUB_KAFKA_BOOTSTRAP": "kafka-1.example.invalid:9092"}
    for action in ("start", "stop", "status"):
        result = _hub_kafka(action, env)
        assert result.returncode == 0, (action, result.stderr)
        assert "HUB_KAFKA_BOOTSTRAP=kafka-1.example.invalid:9092 is set" in result.stderr
        assert "the local broker is not managed" in result.stderr
    if not settings.kafka.external:
        assert _hub_kafka("status", {**os.environ}).returncode == 0  # ours still runs
