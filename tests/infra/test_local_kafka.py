"""The real broker: start, produce/consume, restart on the same data, start-up failures."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient

from llmledger.infra.kafka import KafkaStartError, LocalKafka, ensure_topics
from llmledger.infra.kafka.broker_config import BrokerIdentity


def _produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    for value in values:
        producer.produce(topic, value=value)
    assert producer.flush(30) == 0


def _consume_all(bootstrap: str, topic: str, expected_count: int) -> list[bytes]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"test-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    received: list[bytes] = []
    try:
        for _ in range(300):
            message = consumer.poll(0.1)
            if message is None:
                if len(received) >= expected_count:
                    break
                continue
            assert message.error() is None, message.error()
            value = message.value()
            assert value is not None
            received.append(value)
    finally:
        consumer.close()
    return received


def test_broker_answers_metadata_requests(kafka_bootstrap: str) -> None:
    metadata = AdminClient({"bootstrap.servers": kafka_bootstrap}).list_topics(timeout=10)
    assert len(metadata.brokers) >= 1


def test_produced_messages_are_consumed_in_order(
    kafka_bootstrap: str, new_topic: Callable[..., str]
) -> None:
    topic = new_topic()
    values = [f"span-batch-{index}".encode() for index in range(20)]
    _produce(kafka_bootstrap, topic, values)
    assert _consume_all(kafka_bootstrap, topic, len(values)) == values


def test_ensure_topics_creates_partitions_once(
    kafka_bootstrap: str, new_topic: Callable[..., str]
) -> None:
    name = f"{new_topic()}.extra"
    ensure_topics(kafka_bootstrap, {name: 3})
    ensure_topics(kafka_bootstrap, {name: 5})  # existing: left as it is, no error
    topics = AdminClient({"bootstrap.servers": kafka_bootstrap}).list_topics(timeout=10).topics
    assert len(topics[name].partitions) == 3


def test_ensure_topics_rejects_zero_partitions(kafka_bootstrap: str) -> None:
    with pytest.raises(ValueError, match="at least 1 partition"):
        ensure_topics(kafka_bootstrap, {"never-created": 0})


def test_restart_keeps_messages_and_address(
    kafka_broker: LocalKafka | None, kafka_bootstrap: str, new_topic: Callable[..., str]
) -> None:
    if kafka_broker is None:
        pytest.skip("an external cluster is not ours to restart")
    topic = new_topic(partitions=2)
    _produce(kafka_bootstrap, topic, [b"before-restart"])
    pid_before = kafka_broker.pid()
    assert kafka_broker.restart() == kafka_bootstrap
    assert kafka_broker.pid() not in (None, pid_before)
    _produce(kafka_bootstrap, topic, [b"after-restart"])
    received = _consume_all(kafka_bootstrap, topic, 2)
    assert sorted(received) == [b"after-restart", b"before-restart"]


def test_stopped_broker_reports_not_running(tmp_path: Path) -> None:
    broker = LocalKafka(tmp_path / "never-started")
    assert broker.pid() is None
    assert broker.stop() is False


def test_folder_keeps_its_ports(tmp_path: Path) -> None:
    tmp_path.mkdir(exist_ok=True)
    BrokerIdentity(cluster_id="x", port=41001, controller_port=41002).save(tmp_path)
    assert LocalKafka(tmp_path).bootstrap_servers == "127.0.0.1:41001"
    with pytest.raises(ValueError, match="port 41001, not 41003"):
        LocalKafka(tmp_path, port=41003)


def test_failed_start_quotes_the_jvm_error(tmp_path: Path) -> None:
    broker = LocalKafka(tmp_path / "bad-heap", heap="lots")
    with pytest.raises(KafkaStartError, match="Invalid maximum heap size"):
        broker.start(timeout=60)
    assert not broker.is_running()


def test_broker_that_exits_during_start_up_is_reported_with_its_log(tmp_path: Path) -> None:
    broker = LocalKafka(tmp_path / "foreign-data")
    broker.data_dir.mkdir(parents=True)
    # Storage formatted for another node: the broker refuses it and exits.
    (broker.data_dir / "meta.properties").write_text(
        f"version=1\nnode.id=7\ncluster.id={broker.identity.cluster_id}\n"
        "directory.id=AAAAAAAAAAAAAAAAAAAAAA\n"
    )
    with pytest.raises(KafkaStartError, match=r"exited during start-up(.|\n)*Stored node id 7"):
        broker.start(timeout=60)
    assert not broker.is_running()
    assert not broker.pid_file.exists()
