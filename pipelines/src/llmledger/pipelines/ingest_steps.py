"""The consumer's steps: decode -> normalize -> batch -> write -> commit.

`IngestSteps` owns the per-partition state and is driven by `ingest.run`'s poll loop and
by the consumer's rebalance callbacks. Offsets are committed only after the batch's files
are durable and its dead letters acknowledged, so a crash replays instead of losing.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from llmledger.pipelines import dead_letter
from llmledger.pipelines.batching import Batches, PartitionBatch, TopicPartitionKey
from llmledger.pipelines.dead_letter import DeadLetters
from llmledger.pipelines.lake_writer import OffsetRange, remove_superseded, write_batch
from llmledger.pipelines.normalize import normalize_span
from llmledger.pipelines.otlp import InvalidExportError, decode_protobuf

log = logging.getLogger(__name__)


@dataclass
class IngestStats:
    """Counters of one `run()`: the closed list of the consumer's metrics."""

    messages: int = 0  # Kafka messages consumed, dead-lettered ones included
    spans_seen: int = 0  # spans in the decoded exports, GenAI or not
    llm_rows_written: int = 0  # lake rows (billable model calls) in the files written
    files_written: int = 0  # Parquet files written (one per partition batch and UTC day)
    dead_lettered: int = 0  # messages sent to the dead-letter topic


class IngestSteps:
    """Per-partition state between polls: open batches, catch-up targets, replay bookkeeping."""

    def __init__(
        self,
        consumer: Consumer,
        batches: Batches,
        dead_letters: DeadLetters,
        lake: Path,
        *,
        track_catch_up: bool,
    ) -> None:
        self.stats = IngestStats()
        self._consumer = consumer
        self._batches = batches
        self._dead_letters = dead_letters
        self._lake = lake
        self._track_catch_up = track_catch_up
        self._assigned: set[TopicPartitionKey] = set()
        self._targets: dict[TopicPartitionKey, int] = {}  # high watermarks seen at assignment
        self._caught_up: set[TopicPartitionKey] = set()
        # Since assignment: the first offset read, and the files and folders written.
        self._replay_from: dict[TopicPartitionKey, int] = {}
        self._files: dict[TopicPartitionKey, set[Path]] = defaultdict(set)

    def on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        keys = [(tp.topic, tp.partition) for tp in partitions]
        self._assigned.update(keys)
        log.info("assigned %s", keys)
        if self._track_catch_up:
            for tp in consumer.committed(partitions, timeout=10):
                low, high = consumer.get_watermark_offsets(tp, timeout=10, cached=False)
                start = tp.offset if tp.offset >= 0 else low
                self._targets[(tp.topic, tp.partition)] = high
                self._note_position((tp.topic, tp.partition), start)

    def on_revoke(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Write and commit before another consumer takes the partition over.
        for tp in partitions:
            batch = self._batches.take(tp.topic, tp.partition)
            if batch is not None:
                self.flush(batch)
            self._forget((tp.topic, tp.partition))

    def on_lost(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Someone else owns these now: committing would be refused, so drop the work.
        for tp in partitions:
            if self._batches.take(tp.topic, tp.partition) is not None:
                log.warning("lost %s[%d] with a batch in hand", tp.topic, tp.partition)
            self._forget((tp.topic, tp.partition))

    def is_caught_up(self) -> bool:
        """Every assigned partition reached the high watermark it had when assigned."""
        return bool(self._assigned) and self._assigned <= self._caught_up

    def handle(self, message: Message) -> None:
        error = message.error()
        key, offset = _position(message)
        if error is not None:
            if error.code() == KafkaError._PARTITION_EOF:
                self._note_position(key, offset)
            elif error.fatal():
                raise KafkaException(error)
            else:
                log.warning("consumer error: %s", error)
            return
        self.stats.messages += 1
        self._replay_from.setdefault(key, offset)
        if self._batches.add(key[0], key[1], offset, self._rows(message, key, offset)):
            batch = self._batches.take(*key)
            assert batch is not None  # add() just opened or extended it
            self.flush(batch)
        self._note_position(key, offset + 1)

    def flush(self, batch: PartitionBatch) -> None:
        """Write the batch's files durably, drop files a replay superseded, then commit."""
        key = (batch.topic, batch.partition)
        written = write_batch(self._lake, batch.offsets, batch.rows) if batch.rows else []
        self._files[key].update(written)
        if written:
            first = self._replay_from[key]
            replayed = OffsetRange(batch.topic, batch.partition, first, batch.last_offset)
            folders = {path.parent for path in self._files[key]}
            remove_superseded(folders, replayed, keep=self._files[key])
        next_offset = TopicPartition(batch.topic, batch.partition, batch.last_offset + 1)
        self._consumer.commit(offsets=[next_offset], asynchronous=False)
        self.stats.files_written += len(written)
        self.stats.llm_rows_written += len(batch.rows)
        log.info(
            "%s[%d] offsets %d-%d: %d rows in %d files, committed",
            batch.topic,
            batch.partition,
            batch.first_offset,
            batch.last_offset,
            len(batch.rows),
            len(written),
        )

    def _rows(self, message: Message, key: TopicPartitionKey, offset: int) -> list[dict[str, Any]]:
        value = message.value()
        if value is None:
            return self._reject(message, dead_letter.EMPTY_MESSAGE, "null message value")
        try:
            request = decode_protobuf(value)
        except InvalidExportError as exc:
            return self._reject(message, dead_letter.UNDECODABLE, str(exc))
        rows, spans = [], 0
        kafka_columns = {
            "kafka_topic": key[0],
            "kafka_partition": key[1],
            "kafka_offset": offset,
        }
        try:
            for resource_spans in request.resource_spans:
                for scope_spans in resource_spans.scope_spans:
                    spans += len(scope_spans.spans)
                    for span in scope_spans.spans:
                        row = normalize_span(resource_spans.resource, span, scope_spans.scope.name)
                        if row is not None:
                            rows.append(row | kafka_columns)
        except Exception as exc:  # a normalizer bug must not stop the partition
            log.exception("normalizing %s[%d]@%d failed", *kafka_columns.values())
            return self._reject(message, dead_letter.NORMALIZE_FAILED, repr(exc))
        self.stats.spans_seen += spans
        return rows

    def _reject(self, message: Message, reason: str, detail: str) -> list[dict[str, Any]]:
        self._dead_letters.send(message, reason, detail)
        self.stats.dead_lettered += 1
        return []

    def _note_position(self, key: TopicPartitionKey, next_offset: int) -> None:
        target = self._targets.get(key)
        if target is not None and next_offset >= target:
            self._caught_up.add(key)

    def _forget(self, key: TopicPartitionKey) -> None:
        self._targets.pop(key, None)
        self._replay_from.pop(key, None)
        self._files.pop(key, None)
        self._assigned.discard(key)
        self._caught_up.discard(key)


def _position(message: Message) -> tuple[TopicPartitionKey, int]:
    # Set on every consumed message and partition event; None only on client-level errors.
    topic, partition, offset = message.topic(), message.partition(), message.offset()
    return (topic or "", -1 if partition is None else partition), -1 if offset is None else offset
