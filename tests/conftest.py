"""Fixtures shared by every test folder: one real Kafka broker per test session.

- `kafka_bootstrap` (session): bootstrap servers of a broker started once on free ports in a temp
  folder, or of the cluster named by LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS (then nothing is started).
- `kafka_broker` (session): the `LocalKafka` behind it, to stop/restart it; None when external.
  A test that stops it must start it again (e.g. `kafka_broker.restart()` or try/finally).
- `new_topic` (function): factory `new_topic(partitions=1) -> str` creating a fresh, uniquely
  named topic, deleted after the test.

Tests using any of them are marked `kafka` automatically, so `-m "not kafka"` skips them.
"""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from confluent_kafka.admin import AdminClient

from llmledger.infra.kafka import LocalKafka, ensure_topics
from llmledger.infra.settings import Settings

_KAFKA_FIXTURES = {"kafka_bootstrap", "kafka_broker", "new_topic"}
_BROKER_START_TIMEOUT_SECONDS = 120.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _KAFKA_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.kafka)


def _report(config: pytest.Config, line: str) -> None:
    # Fixture output is captured (even the terminal reporter's, at fd level) unless capture is
    # paused, as pytest's own --setup-show does.
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print(line)
        return
    with capture.global_and_fixture_disabled():
        reporter.ensure_newline()
        reporter.write_line(line)


@pytest.fixture(scope="session")
def kafka_broker(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalKafka | None]:
    """The session's local broker, or None when LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS is set."""
    if Settings.from_env().kafka_bootstrap_servers:
        yield None
        return
    broker = LocalKafka(tmp_path_factory.mktemp("kafka"))
    began = time.monotonic()
    broker.start(timeout=_BROKER_START_TIMEOUT_SECONDS)
    _report(
        request.config,
        f"Kafka broker ready on {broker.bootstrap_servers} "
        f"in {time.monotonic() - began:.1f} s (log: {broker.log_file})",
    )
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_broker: LocalKafka | None) -> str:
    """Bootstrap servers of the session's Kafka (local broker or external cluster)."""
    if kafka_broker is not None:
        return kafka_broker.bootstrap_servers
    external = Settings.from_env().kafka_bootstrap_servers
    assert external is not None
    return external


@pytest.fixture
def new_topic(
    request: pytest.FixtureRequest, kafka_bootstrap: str, kafka_broker: LocalKafka | None
) -> Iterator[Callable[..., str]]:
    """Factory creating fresh topics: `new_topic(partitions=1) -> name`."""
    if kafka_broker is not None and not kafka_broker.is_running():
        # An earlier test stopped the shared broker and failed before starting it again.
        kafka_broker.start(timeout=_BROKER_START_TIMEOUT_SECONDS)
    created: list[str] = []
    test_name = re.sub(r"[^a-zA-Z0-9._-]+", "-", request.node.name)[:80]

    def create(partitions: int = 1) -> str:
        name = f"test.{test_name}.{uuid.uuid4().hex[:10]}"
        ensure_topics(kafka_bootstrap, {name: partitions})
        created.append(name)
        return name

    yield create
    if created and (kafka_broker is None or kafka_broker.is_running()):
        futures = AdminClient({"bootstrap.servers": kafka_bootstrap}).delete_topics(
            created, operation_timeout=10
        )
        for future in futures.values():
            # Clean-up only: a topic that cannot be deleted must not fail the test.
            with contextlib.suppress(Exception):
                future.result(timeout=15)
