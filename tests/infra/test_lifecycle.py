"""`llmledger kafka up|down|status` behaviour, on a detached broker in a temp LLMLEDGER_HOME."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from llmledger.infra.kafka import bootstrap_servers_for, down, status, up
from llmledger.infra.kafka.processes import is_alive
from llmledger.infra.settings import Settings


def _local_settings(home: Path) -> Settings:
    environ = {key: value for key, value in os.environ.items() if key.startswith("LLMLEDGER_")}
    environ.pop("LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS", None)
    environ["LLMLEDGER_HOME"] = str(home)
    return Settings.from_env(environ)


@pytest.mark.kafka
def test_up_is_idempotent_and_down_stops_the_process(tmp_path: Path) -> None:
    settings = _local_settings(tmp_path / "home")
    before = status(settings)
    assert (before.running, before.bootstrap_servers, before.pid) == (False, None, None)
    assert bootstrap_servers_for(settings) is None

    bootstrap = up(settings)
    try:
        running = status(settings)
        assert running.running and not running.external
        assert running.bootstrap_servers == bootstrap
        assert running.data_folder is not None
        assert running.data_folder.is_relative_to(settings.kafka_home)
        assert running.pid is not None and is_alive(running.pid)
        metadata = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10)
        assert metadata.brokers

        assert up(settings) == bootstrap
        assert status(settings).pid == running.pid  # no second broker
        assert bootstrap_servers_for(settings) == bootstrap
    finally:
        stopped = down(settings)
    assert stopped is True
    assert not is_alive(running.pid)
    after = status(settings)
    assert (after.running, after.pid) == (False, None)
    assert after.bootstrap_servers == bootstrap  # the ports stay reserved for the folder
    assert bootstrap_servers_for(settings) is None
    assert down(settings) is False


def test_external_cluster_is_used_as_is(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"LLMLEDGER_HOME": str(tmp_path), "LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS": "kafka.test:9092"}
    )
    assert up(settings) == "kafka.test:9092"
    current = status(settings)
    assert current.external and current.bootstrap_servers == "kafka.test:9092"
    assert current.pid is None
    assert bootstrap_servers_for(settings) == "kafka.test:9092"
    assert down(settings) is False
    assert not settings.kafka_home.exists()  # nothing was started or written
