"""What the ingest pipeline has done, read from where it leaves its traces.

`ingest_status(settings)` gathers the lake's files and rows per dataset, the rejects per
reason, the dead letters on their topic, and per partition the consumer group's committed
offset, the end offset and the lag. Nothing is kept in memory between runs, so the figures
survive crashes and cover every consumer of the group. `str()` of the result is the
report `llmledger ingest --status` prints; `compact(settings)` is `llmledger compact`.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq
from confluent_kafka import Consumer, TopicPartition

from llmledger.infra.settings import Settings
from llmledger.pipelines.compaction import CompactionResult, compact_lake
from llmledger.pipelines.ingest import DEFAULT_GROUP_ID
from llmledger.pipelines.lake_schema import REJECT_REASON_COLUMN, REJECTS_DATASET
from llmledger.pipelines.lake_writer import DATASETS

_TIMEOUT_S = 10


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    committed: int | None  # None: the group never committed here
    end: int

    @property
    def lag(self) -> int:
        return self.end - (self.committed or 0)


@dataclass
class DatasetCount:
    files: int = 0
    rows: int = 0
    days: int = 0


@dataclass
class IngestStatus:
    """Counts of everything the consumer produced or set aside."""

    datasets: dict[str, DatasetCount] = field(default_factory=dict)
    rejected_by_reason: Counter[str] = field(default_factory=Counter)
    dead_letters: int | None = None  # messages on the dead-letter topic; None: no topic
    partitions: list[PartitionLag] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [
            f"{name}: {count.rows} rows in {count.files} files over {count.days} days"
            for name, count in self.datasets.items()
        ]
        lines += [
            f"  rejected {reason}: {n}" for reason, n in sorted(self.rejected_by_reason.items())
        ]
        lines.append(
            f"dead letters: {'no topic' if self.dead_letters is None else self.dead_letters}"
        )
        lines += [
            f"{p.topic}[{p.partition}]: committed {p.committed}, end {p.end}, lag {p.lag}"
            for p in self.partitions
        ]
        return "\n".join(lines)


def lake_status(lake: Path) -> IngestStatus:
    """The lake part of the status (no Kafka needed)."""
    status = IngestStatus()
    for dataset in DATASETS:
        count = status.datasets[dataset] = DatasetCount()
        for folder in sorted((lake / dataset).glob("day=*")):
            files = sorted(folder.glob("*.parquet"))
            count.days += bool(files)
            count.files += len(files)
            for path in files:
                count.rows += pq.ParquetFile(path).metadata.num_rows
                if dataset == REJECTS_DATASET:
                    reasons = pq.read_table(path, columns=[REJECT_REASON_COLUMN]).column(0)
                    status.rejected_by_reason.update(reasons.to_pylist())
    return status


def committed_offsets(settings: Settings, group_id: str = DEFAULT_GROUP_ID) -> list[PartitionLag]:
    """Committed and end offsets of every partition of `settings.topic` for the group."""
    if not settings.kafka_bootstrap_servers:
        raise ValueError("the ingest status needs Kafka: set LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS")
    consumer = Consumer(
        {"bootstrap.servers": settings.kafka_bootstrap_servers, "group.id": group_id}
    )
    try:
        topic = consumer.list_topics(settings.topic, timeout=_TIMEOUT_S).topics.get(settings.topic)
        if topic is None or topic.error is not None:
            return []
        wanted = [TopicPartition(settings.topic, p) for p in sorted(topic.partitions)]
        lags = []
        for tp in consumer.committed(wanted, timeout=_TIMEOUT_S):
            _low, high = consumer.get_watermark_offsets(tp, timeout=_TIMEOUT_S, cached=False)
            lags.append(
                PartitionLag(tp.topic, tp.partition, tp.offset if tp.offset >= 0 else None, high)
            )
        return lags
    finally:
        consumer.close()


def ingest_status(settings: Settings, group_id: str = DEFAULT_GROUP_ID) -> IngestStatus:
    """Lake counts, rejects per reason, dead letters and lag per partition."""
    status = lake_status(settings.lake)
    status.partitions = committed_offsets(settings, group_id)
    status.dead_letters = _topic_size(settings, settings.dead_letter_topic)
    return status


def compact(settings: Settings, group_id: str = DEFAULT_GROUP_ID) -> CompactionResult:
    """Merge small lake files below the group's committed offsets (`llmledger compact`)."""
    committed = {
        (p.topic, p.partition): p.committed
        for p in committed_offsets(settings, group_id)
        if p.committed is not None
    }
    return compact_lake(settings.lake, committed)


def _topic_size(settings: Settings, topic_name: str) -> int | None:
    assert settings.kafka_bootstrap_servers is not None
    consumer = Consumer(
        {
            "bootstrap.servers": settings.kafka_bootstrap_servers,
            "group.id": f"status-{uuid.uuid4().hex}",
        }
    )
    try:
        topic = consumer.list_topics(topic_name, timeout=_TIMEOUT_S).topics.get(topic_name)
        if topic is None or topic.error is not None:
            return None
        total = 0
        for partition in topic.partitions:
            low, high = consumer.get_watermark_offsets(
                TopicPartition(topic_name, partition), timeout=_TIMEOUT_S, cached=False
            )
            total += high - low
        return total
    finally:
        consumer.close()
