"""Consumers sharing a group through a rebalance, and one consumer through a broker restart:
the lake's totals equal what was produced, exactly."""

from __future__ import annotations

import logging
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from confluent_kafka import Consumer, TopicPartition

from llmledger.infra.kafka import LocalKafka, ensure_topics
from llmledger.infra.settings import Settings
from llmledger.pipelines.ingest import IngestStats, run

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `benchmarks` lives beside the source roots
    sys.path.insert(0, str(ROOT))

from benchmarks.ingest.spans import build_load  # noqa: E402
from benchmarks.ingest.verify import expected_totals, lake_totals, produce_all  # noqa: E402


class Worker:
    """`ingest.run` in service mode on a thread, stopped by `stop()`."""

    def __init__(self, settings: Settings, group: str, name: str = "worker") -> None:
        self.stop_event = threading.Event()
        self.outcome: list[IngestStats | BaseException] = []
        self.thread = threading.Thread(
            target=self._run, args=(settings, group), name=name, daemon=True
        )
        self.thread.start()

    def _run(self, settings: Settings, group: str) -> None:
        try:
            self.outcome.append(
                run(
                    settings,
                    group_id=group,
                    stop=self.stop_event,
                    max_batch_rows=800,
                    max_batch_seconds=0.5,
                )
            )
        except BaseException as exc:  # reported by stop()
            self.outcome.append(exc)

    def stop(self) -> IngestStats:
        self.stop_event.set()
        self.thread.join(120)
        [outcome] = self.outcome
        assert isinstance(outcome, IngestStats), outcome
        return outcome


class FlushLog(logging.Handler):
    """Which threads have written and committed a batch (the consumer's INFO log)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.flushed_by: set[str] = set()
        self.logger = logging.getLogger("llmledger.pipelines.ingest_steps")

    def emit(self, record: logging.LogRecord) -> None:
        if "committed" in record.getMessage():
            self.flushed_by.add(record.threadName or "")

    def __enter__(self) -> FlushLog:
        self.previous_level = self.logger.level
        self.logger.setLevel(logging.INFO)
        self.logger.addHandler(self)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.logger.removeHandler(self)
        self.logger.setLevel(self.previous_level)


def committed_total(bootstrap: str, group: str, topic: str, partitions: int) -> int:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        wanted = [TopicPartition(topic, p) for p in range(partitions)]
        return sum(max(tp.offset, 0) for tp in consumer.committed(wanted, timeout=20))
    finally:
        consumer.close()


def wait_for(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)


@contextmanager
def producing(
    bootstrap: str, topic: str, messages: list[bytes], partitions: int
) -> Iterator[threading.Thread]:
    # About 8 seconds of arrivals, so the events below happen in the middle of the load.
    thread = threading.Thread(
        target=produce_all,
        args=(bootstrap, topic, messages),
        kwargs={"partitions": partitions, "pause_every": 4, "pause_seconds": 0.25},
    )
    thread.start()
    try:
        yield thread
    finally:
        thread.join(180)


def settings_for(bootstrap: str, topic: str, home: Path) -> Settings:
    return Settings.from_env(
        {
            "LLMLEDGER_HOME": str(home),
            "LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "LLMLEDGER_TOPIC": topic,
            "LLMLEDGER_DEAD_LETTER_TOPIC": f"{topic}.dlq",
        }
    )


def test_a_third_consumer_joining_and_leaving_moves_no_row_twice(
    kafka_bootstrap: str, new_topic: Callable[..., str], tmp_path: Path
) -> None:
    partitions = 4
    topic = new_topic(partitions=partitions)
    messages, truth = build_load(64_000, llm_every=4, seed=21)
    settings, group = settings_for(kafka_bootstrap, topic, tmp_path), f"scale-{uuid.uuid4().hex}"
    workers = [Worker(settings, group) for _ in range(2)]
    try:
        with FlushLog() as flushes, producing(kafka_bootstrap, topic, messages, partitions):
            time.sleep(2)
            # Joining revokes every partition and reassigns them over three consumers.
            third = Worker(settings, group, name="third")
            wait_for(lambda: "third" in flushes.flushed_by, 60)
            stats = [third.stop()]  # leaving: another rebalance
        wait_for(
            lambda: committed_total(kafka_bootstrap, group, topic, partitions) == len(messages),
            120,
        )
    finally:
        stats += [worker.stop() for worker in workers]

    assert lake_totals(settings.lake) == expected_totals(truth)
    # Each revoked batch was written and committed before the handover: nothing was read
    # twice, so the consumers together wrote each row exactly once.
    assert sum(s.llm_rows_written for s in stats) == truth.calls
    assert stats[0].messages > 0  # the third consumer really took part


def test_a_broker_restart_during_the_load_loses_and_doubles_nothing(tmp_path: Path) -> None:
    with LocalKafka(tmp_path / "kafka") as broker:
        topic = "restart.test"
        ensure_topics(broker.bootstrap_servers, {topic: 2})
        messages, truth = build_load(48_000, llm_every=4, seed=31)
        settings = settings_for(broker.bootstrap_servers, topic, tmp_path)
        group = f"restart-{uuid.uuid4().hex}"
        worker = Worker(settings, group)
        try:
            with producing(broker.bootstrap_servers, topic, messages, 2):
                time.sleep(3)
                broker.restart()
            wait_for(
                lambda: committed_total(broker.bootstrap_servers, group, topic, 2) == len(messages),
                180,
            )
        finally:
            worker.stop()

    assert lake_totals(settings.lake) == expected_totals(truth)
