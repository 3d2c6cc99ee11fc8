"""The ingest status counts what the consumer did; compaction keeps totals exact, also
across a later replay of the compacted offsets."""

from __future__ import annotations

import random
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

from confluent_kafka import ConsumerGroupTopicPartitions, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from llmledger.infra.settings import Settings
from llmledger.pipelines.ingest import run
from llmledger.pipelines.ingest_status import compact, ingest_status

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `benchmarks` lives beside the source roots
    sys.path.insert(0, str(ROOT))

from benchmarks.ingest.spans import Truth, build_message  # noqa: E402
from benchmarks.ingest.verify import expected_totals, lake_totals, produce_all  # noqa: E402


def test_status_compaction_and_replay_after_compaction(
    kafka_bootstrap: str, new_topic: Callable[..., str], tmp_path: Path
) -> None:
    topic, dlq = new_topic(), new_topic()
    settings = Settings.from_env(
        {
            "LLMLEDGER_HOME": str(tmp_path),
            "LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "LLMLEDGER_TOPIC": topic,
            "LLMLEDGER_DEAD_LETTER_TOPIC": dlq,
        }
    )
    group = f"status-{uuid.uuid4().hex}"
    rng, truth = random.Random(8), Truth()
    messages = []
    for number in range(8):
        value, part = build_message(rng, number * 64, llm_every=2, spans=64)
        messages.append(value)
        truth.add(part)
    produce_all(kafka_bootstrap, topic, messages)
    garbage = Producer({"bootstrap.servers": kafka_bootstrap})
    garbage.produce(topic, b"\xffnot an export")
    assert garbage.flush(30) == 0

    stats = run(settings, until_caught_up=True, group_id=group, max_batch_rows=40)

    status = ingest_status(settings, group)
    calls = status.datasets["llm_calls"]
    assert (calls.rows, calls.files) == (truth.calls, stats.files_written)
    assert calls.files > 2  # small batches: small files to compact
    assert status.dead_letters == 1 and not status.rejected_by_reason
    [partition] = status.partitions
    assert (partition.committed, partition.end, partition.lag) == (9, 9, 0)
    assert f"{topic}[0]: committed 9, end 9, lag 0" in str(status)

    result = compact(settings, group)

    assert result.inputs == calls.files and result.rows == truth.calls
    after = ingest_status(settings, group).datasets["llm_calls"]
    assert (after.rows, after.files) == (truth.calls, after.days)
    assert lake_totals(settings.lake) == expected_totals(truth)

    # A rewind replays the compacted offsets: the merged file is superseded, not doubled.
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    request = ConsumerGroupTopicPartitions(group, [TopicPartition(topic, 0, 0)])
    for future in admin.alter_consumer_group_offsets([request]).values():
        future.result(timeout=10)
    run(settings, until_caught_up=True, group_id=group, max_batch_rows=40)
    assert lake_totals(settings.lake) == expected_totals(truth)
