"""The ingest consumer against the real Kafka broker, writing a real Parquet lake."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pyarrow.parquet as pq
import pytest
from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from llmledger.infra.settings import Settings
from llmledger.pipelines import dead_letter
from llmledger.pipelines.ingest import IngestStats, run
from llmledger.pipelines.lake_schema import LLM_CALLS_SCHEMA

DAY_ONE = datetime(2026, 4, 30, 23, 59, 59, 500000, tzinfo=UTC)
DAY_TWO = datetime(2026, 5, 1, 0, 0, 1, tzinfo=UTC)
CHAT = {
    "gen_ai.provider.name": "openai",
    "gen_ai.operation.name": "chat",
    "gen_ai.request.model": "gpt-4o",
    "gen_ai.usage.input_tokens": 100,
    "gen_ai.usage.output_tokens": 20,
}
NOT_GENAI = {"http.request.method": "GET"}


class Lake:
    def __init__(self, root: Path) -> None:
        self.root = root

    def files(self) -> list[str]:
        """Lake files as `day=.../<name>`, sorted: what a `*.parquet` reader sees."""
        found = (self.root / "llm_calls").glob("day=*/*.parquet")
        return sorted(f"{path.parent.name}/{path.name}" for path in found)

    def rows(self) -> list[dict[str, object]]:
        tables = [pq.read_table(path) for path in (self.root / "llm_calls").glob("day=*/*.parquet")]
        for table in tables:
            assert table.schema.equals(LLM_CALLS_SCHEMA)
        rows = [row for table in tables for row in table.to_pylist()]
        return sorted(rows, key=lambda row: (row["kafka_offset"], row["span_id"]))


@pytest.fixture
def env(kafka_bootstrap: str, new_topic: Callable[..., str], tmp_path: Path) -> SimpleNamespace:
    topic = new_topic()
    settings = Settings.from_env(
        {
            "LLMLEDGER_HOME": str(tmp_path),
            "LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "LLMLEDGER_TOPIC": topic,
            "LLMLEDGER_DEAD_LETTER_TOPIC": new_topic(),
        }
    )
    return SimpleNamespace(
        settings=settings, topic=topic, lake=Lake(settings.lake), group=f"ingest-{uuid.uuid4().hex}"
    )


def produce(bootstrap: str, topic: str, values: Sequence[bytes], partition: int = 0) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    for value in values:
        producer.produce(topic, value, partition=partition)
    assert producer.flush(30) == 0


def span_id(number: int) -> bytes:
    return number.to_bytes(8, "big")


def committed(env: SimpleNamespace, partition: int = 0) -> int:
    consumer = Consumer(
        {"bootstrap.servers": env.settings.kafka_bootstrap_servers, "group.id": env.group}
    )
    try:
        [position] = consumer.committed([TopicPartition(env.topic, partition)], timeout=10)
        return int(position.offset)
    finally:
        consumer.close()


def rewind(env: SimpleNamespace, partition: int = 0) -> None:
    admin = AdminClient({"bootstrap.servers": env.settings.kafka_bootstrap_servers})
    request = ConsumerGroupTopicPartitions(env.group, [TopicPartition(env.topic, partition, 0)])
    for future in admin.alter_consumer_group_offsets([request]).values():
        future.result(timeout=10)


def ingest(env: SimpleNamespace, **options: object) -> IngestStats:
    return run(env.settings, until_caught_up=True, group_id=env.group, **options)  # type: ignore[arg-type]


def test_exports_become_exact_lake_rows(env: SimpleNamespace, otlp: SimpleNamespace) -> None:
    first = otlp.export(
        [
            otlp.span(CHAT, span_id=span_id(1), start=DAY_ONE),
            otlp.span(NOT_GENAI, span_id=span_id(2), start=DAY_ONE),
        ]
    )
    embedding = {
        "gen_ai.operation.name": "embeddings",
        "gen_ai.request.model": "text-embedding-3-small",
        "gen_ai.usage.input_tokens": 7,
    }
    second = otlp.export([otlp.span(embedding, span_id=span_id(3), start=DAY_ONE)])
    produce(
        env.settings.kafka_bootstrap_servers,
        env.topic,
        [first.SerializeToString(), second.SerializeToString()],
    )

    stats = ingest(env)

    assert stats == IngestStats(
        messages=2, spans_seen=3, llm_rows_written=2, files_written=1, dead_lettered=0
    )
    assert env.lake.files() == [f"day=2026-04-30/{env.topic}-0-0-1.parquet"]
    trace = bytes(range(1, 17)).hex()
    picked = [
        {
            key: row[key]
            for key in ("call_id", "operation", "input_tokens", "output_tokens", "started_at")
        }
        | {"kafka": (row["kafka_topic"], row["kafka_partition"], row["kafka_offset"])}
        for row in env.lake.rows()
    ]
    assert picked == [
        {
            "call_id": f"{trace}-0000000000000001",
            "operation": "chat",
            "input_tokens": 100,
            "output_tokens": 20,
            "started_at": DAY_ONE,
            "kafka": (env.topic, 0, 0),
        },
        {
            "call_id": f"{trace}-0000000000000003",
            "operation": "embeddings",
            "input_tokens": 7,
            "output_tokens": None,
            "started_at": DAY_ONE,
            "kafka": (env.topic, 0, 1),
        },
    ]
    assert committed(env) == 2
    # Nothing half-written is left behind.
    assert not list(env.settings.lake.rglob(".*.tmp"))


def test_a_batch_split_across_days_gets_one_file_per_day(
    env: SimpleNamespace, otlp: SimpleNamespace
) -> None:
    spans = [
        otlp.span(CHAT, span_id=span_id(1), start=DAY_ONE),
        otlp.span(CHAT, span_id=span_id(2), start=DAY_TWO),
    ]
    produce(
        env.settings.kafka_bootstrap_servers, env.topic, [otlp.export(spans).SerializeToString()]
    )

    assert ingest(env).files_written == 2
    assert env.lake.files() == [
        f"day=2026-04-30/{env.topic}-0-0-0.parquet",
        f"day=2026-05-01/{env.topic}-0-0-0.parquet",
    ]


def test_replay_rewrites_the_same_files(env: SimpleNamespace, otlp: SimpleNamespace) -> None:
    exports = [otlp.export([otlp.span(CHAT, span_id=span_id(n), start=DAY_ONE)]) for n in range(5)]
    produce(
        env.settings.kafka_bootstrap_servers, env.topic, [e.SerializeToString() for e in exports]
    )
    ingest(env, max_batch_rows=2)
    files_before, rows_before = env.lake.files(), env.lake.rows()

    rewind(env)
    again = ingest(env, max_batch_rows=2)

    assert again.llm_rows_written == 5
    assert (
        env.lake.files()
        == files_before
        == [
            f"day=2026-04-30/{env.topic}-0-0-1.parquet",
            f"day=2026-04-30/{env.topic}-0-2-3.parquet",
            f"day=2026-04-30/{env.topic}-0-4-4.parquet",
        ]
    )
    assert env.lake.rows() == rows_before


def test_replay_with_other_batch_bounds_leaves_no_duplicates(
    env: SimpleNamespace, otlp: SimpleNamespace
) -> None:
    exports = [otlp.export([otlp.span(CHAT, span_id=span_id(n), start=DAY_ONE)]) for n in range(4)]
    produce(
        env.settings.kafka_bootstrap_servers, env.topic, [e.SerializeToString() for e in exports]
    )
    ingest(env, max_batch_rows=1)
    assert len(env.lake.files()) == 4

    rewind(env)
    ingest(env, max_batch_rows=3)

    assert env.lake.files() == [
        f"day=2026-04-30/{env.topic}-0-0-2.parquet",
        f"day=2026-04-30/{env.topic}-0-3-3.parquet",
    ]
    assert [row["kafka_offset"] for row in env.lake.rows()] == [0, 1, 2, 3]


def test_undecodable_messages_go_to_the_dead_letter_topic(
    env: SimpleNamespace, otlp: SimpleNamespace
) -> None:
    good = otlp.export([otlp.span(CHAT, start=DAY_ONE)]).SerializeToString()
    garbage = b"\x00\x01\x02not protobuf"
    produce(env.settings.kafka_bootstrap_servers, env.topic, [good, garbage, good])

    stats = ingest(env)

    assert (stats.messages, stats.dead_lettered, stats.llm_rows_written) == (3, 1, 2)
    assert [row["kafka_offset"] for row in env.lake.rows()] == [0, 2]
    assert committed(env) == 3
    reader = Consumer(
        {
            "bootstrap.servers": env.settings.kafka_bootstrap_servers,
            "group.id": f"dlq-{uuid.uuid4().hex}",
            "enable.partition.eof": True,
        }
    )
    reader.assign([TopicPartition(env.settings.dead_letter_topic, 0, 0)])
    letters = []
    while (message := reader.poll(10)) is not None and message.error() is None:
        letters.append(message)
    reader.close()
    [letter] = letters
    assert letter.value() == garbage
    headers = {key: value.decode() for key, value in letter.headers()}
    assert headers[dead_letter.REASON_HEADER] == dead_letter.UNDECODABLE
    assert headers[dead_letter.SOURCE_TOPIC_HEADER] == env.topic
    assert (
        headers[dead_letter.SOURCE_PARTITION_HEADER],
        headers[dead_letter.SOURCE_OFFSET_HEADER],
    ) == ("0", "1")
    assert "ExportTraceServiceRequest" in headers[dead_letter.DETAIL_HEADER]


def test_offsets_are_committed_only_after_the_files_exist(
    env: SimpleNamespace, otlp: SimpleNamespace
) -> None:
    produce(
        env.settings.kafka_bootstrap_servers,
        env.topic,
        [otlp.export([otlp.span(CHAT, start=DAY_ONE)]).SerializeToString()],
    )
    env.settings.lake.parent.mkdir(parents=True, exist_ok=True)
    env.settings.lake.write_text("a file where the lake folder should be")

    with pytest.raises(OSError):
        ingest(env)
    assert committed(env) < 0  # nothing committed: the message will be read again

    env.settings.lake.unlink()
    assert ingest(env).llm_rows_written == 1
    assert env.lake.files() == [f"day=2026-04-30/{env.topic}-0-0-0.parquet"]
    assert committed(env) == 1


def test_messages_without_genai_spans_still_commit(
    env: SimpleNamespace, otlp: SimpleNamespace
) -> None:
    produce(
        env.settings.kafka_bootstrap_servers,
        env.topic,
        [otlp.export([otlp.span(NOT_GENAI, start=DAY_ONE)]).SerializeToString()],
    )

    stats = ingest(env)

    assert (stats.messages, stats.spans_seen, stats.files_written) == (1, 1, 0)
    assert env.lake.files() == []
    assert committed(env) == 1


def test_each_partition_gets_its_own_files(
    kafka_bootstrap: str, new_topic: Callable[..., str], tmp_path: Path, otlp: SimpleNamespace
) -> None:
    topic = new_topic(partitions=2)
    settings = Settings.from_env(
        {
            "LLMLEDGER_HOME": str(tmp_path),
            "LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "LLMLEDGER_TOPIC": topic,
        }
    )
    export = otlp.export([otlp.span(CHAT, start=DAY_ONE)]).SerializeToString()
    produce(kafka_bootstrap, topic, [export, export], partition=0)
    produce(kafka_bootstrap, topic, [export], partition=1)

    run(settings, until_caught_up=True, group_id=f"ingest-{uuid.uuid4().hex}")

    assert Lake(settings.lake).files() == [
        f"day=2026-04-30/{topic}-0-0-1.parquet",
        f"day=2026-04-30/{topic}-1-0-0.parquet",
    ]


def test_service_mode_writes_on_the_time_bound_and_stops_on_request(
    env: SimpleNamespace, otlp: SimpleNamespace
) -> None:
    stop = threading.Event()
    outcome: list[IngestStats] = []
    worker = threading.Thread(
        target=lambda: outcome.append(
            run(env.settings, group_id=env.group, max_batch_seconds=0.5, stop=stop)
        )
    )
    worker.start()
    try:
        produce(
            env.settings.kafka_bootstrap_servers,
            env.topic,
            [otlp.export([otlp.span(CHAT, start=DAY_ONE)]).SerializeToString()],
        )
        deadline = time.monotonic() + 60
        while not env.lake.files() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert env.lake.files() == [f"day=2026-04-30/{env.topic}-0-0-0.parquet"]
    finally:
        stop.set()
        worker.join(60)
    assert outcome and outcome[0].llm_rows_written == 1
    assert committed(env) == 1


def test_missing_topic_counts_as_caught_up(kafka_bootstrap: str, tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "LLMLEDGER_HOME": str(tmp_path),
            "LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "LLMLEDGER_TOPIC": f"absent-{uuid.uuid4().hex}",
        }
    )
    assert (
        run(settings, until_caught_up=True, group_id=f"ingest-{uuid.uuid4().hex}") == IngestStats()
    )


class _AssignmentSeen(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("assigned [("):
            self.seen.set()


def test_revoked_partitions_are_written_and_committed_before_handover(
    env: SimpleNamespace, otlp: SimpleNamespace
) -> None:
    export = otlp.export([otlp.span(CHAT, start=DAY_ONE)]).SerializeToString()
    produce(env.settings.kafka_bootstrap_servers, env.topic, [export, export])
    assignment = _AssignmentSeen()
    steps_log = logging.getLogger("llmledger.pipelines.ingest_steps")
    steps_log.addHandler(assignment)
    previous_level = steps_log.level
    steps_log.setLevel(logging.INFO)
    stop = threading.Event()
    # Batches would stay open for 5 minutes: only the rebalance can make them be written.
    workers = [
        threading.Thread(
            target=run,
            args=(env.settings,),
            kwargs={"group_id": env.group, "max_batch_seconds": 300, "stop": stop},
        )
        for _ in range(2)
    ]
    try:
        workers[0].start()
        assert assignment.seen.wait(60)
        time.sleep(1)  # let the first consumer fetch both messages
        workers[1].start()  # joining the group revokes the first consumer's partition
        deadline = time.monotonic() + 60
        while not env.lake.files() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert env.lake.files() == [f"day=2026-04-30/{env.topic}-0-0-1.parquet"]
        while committed(env) != 2 and time.monotonic() < deadline:
            time.sleep(0.2)  # the commit follows the file
        assert committed(env) == 2
    finally:
        stop.set()
        for worker in workers:
            if worker.ident is not None:
                worker.join(60)
        steps_log.removeHandler(assignment)
        steps_log.setLevel(previous_level)


def test_collector_otlp_json_messages_are_ingested_like_protobuf(
    env: SimpleNamespace, otlp: SimpleNamespace
) -> None:
    """The Collector's kafkaexporter with `encoding: otlp_json`, header or not."""
    exports = [otlp.export([otlp.span(CHAT, span_id=span_id(n), start=DAY_ONE)]) for n in (1, 2)]
    producer = Producer({"bootstrap.servers": env.settings.kafka_bootstrap_servers})
    producer.produce(env.topic, otlp.collector_json(exports[0]), partition=0)
    producer.produce(
        env.topic,
        otlp.collector_json(exports[1]),
        partition=0,
        headers=[("content-type", b"application/json")],
    )
    producer.flush(10)

    stats = ingest(env)

    assert (stats.llm_rows_written, stats.dead_lettered) == (2, 0)
    assert sorted(row["span_id"] for row in env.lake.rows()) == [span_id(1).hex(), span_id(2).hex()]
