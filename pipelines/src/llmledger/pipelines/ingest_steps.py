"""The consumer's steps: decode -> normalize (`ingest_rows`) -> batch -> write -> commit.

`IngestSteps` owns the per-partition state and is driven by `ingest.run`'s poll loop and
by the consumer's rebalance callbacks. Offsets are committed only after the batch's files
are durable and its dead letters acknowledged, so a crash replays instead of losing.

Replays: a consumer killed between writing files and committing leaves files for offsets
it will read again. At the first flush after an assignment, the partition's files starting
at or after the first offset read are listed ("leftovers"); each flush deletes the
leftovers its range now covers. Only files that existed at assignment qualify, so files
compaction creates later (always below the committed offset) are never mistaken for them.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from llmledger.pipelines import dead_letter
from llmledger.pipelines.batching import Batches, PartitionBatch, TopicPartitionKey
from llmledger.pipelines.dead_letter import DeadLetters
from llmledger.pipelines.ingest_rows import decode_scopes, scope_rows
from llmledger.pipelines.lake_lock import lake_lock
from llmledger.pipelines.lake_schema import LLM_CALLS_DATASET, REJECTS_DATASET
from llmledger.pipelines.lake_writer import (
    OffsetRange,
    Row,
    partition_files,
    remove_files,
    write_batch,
)
from llmledger.pipelines.offset_commit import commit_durably
from llmledger.pipelines.otlp import InvalidExportError

log = logging.getLogger(__name__)


@dataclass
class IngestStats:
    """Counters of one `run()`: the closed list of the consumer's metrics."""

    messages: int = 0  # Kafka messages consumed, dead-lettered ones included
    spans_seen: int = 0  # spans in the decoded exports, GenAI or not
    llm_rows_written: int = 0  # lake rows (billable model calls) in the files written
    files_written: int = 0  # Parquet files written (per partition batch, dataset and UTC day)
    dead_lettered: int = 0  # messages sent to the dead-letter topic
    rows_rejected: int = 0  # model calls with impossible values, written to `rejects`
    rejected_by_reason: Counter[str] = field(default_factory=Counter)  # `rejects.REASONS`


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
        # Since assignment: the first offset read, and the files that may be replayed.
        self._replay_from: dict[TopicPartitionKey, int] = {}
        self._leftovers: dict[TopicPartitionKey, list[tuple[OffsetRange, Path]]] = {}

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
        if self._batches.add(key[0], key[1], offset, *self._rows(message, key, offset)):
            batch = self._batches.take(*key)
            assert batch is not None  # add() just opened or extended it
            self.flush(batch)
        self._note_position(key, offset + 1)

    def flush(self, batch: PartitionBatch) -> None:
        """Write the batch's files durably, drop files a replay superseded, then commit."""
        key = (batch.topic, batch.partition)
        with lake_lock(self._lake, exclusive=False):
            written = write_batch(self._lake, batch.offsets, batch.rows, LLM_CALLS_DATASET)
            written += write_batch(self._lake, batch.offsets, batch.rejects, REJECTS_DATASET)
            self._remove_superseded(key, batch.last_offset, set(written))
        commit_durably(
            self._consumer, TopicPartition(batch.topic, batch.partition, batch.last_offset + 1)
        )
        self.stats.files_written += len(written)
        self.stats.llm_rows_written += len(batch.rows)
        self.stats.rows_rejected += len(batch.rejects)
        self.stats.rejected_by_reason.update(row[-1] for row in batch.rejects)
        log.info(
            "%s[%d] offsets %d-%d: %d rows, %d rejects in %d files, committed",
            batch.topic,
            batch.partition,
            batch.first_offset,
            batch.last_offset,
            len(batch.rows),
            len(batch.rejects),
            len(written),
        )

    def _remove_superseded(self, key: TopicPartitionKey, last: int, written: set[Path]) -> None:
        first = self._replay_from[key]
        if key not in self._leftovers:
            self._leftovers[key] = [
                (found, path)
                for found, path in partition_files(self._lake, *key)
                if found.first >= first and path not in written
            ]
        leftovers = self._leftovers[key]
        done = [path for found, path in leftovers if found.last <= last and path not in written]
        if done:
            remove_files(done)
            log.info("removed %d files superseded by the replay of %s", len(done), key)
        self._leftovers[key] = [item for item in leftovers if item[0].last > last]

    def _rows(
        self, message: Message, key: TopicPartitionKey, offset: int
    ) -> tuple[list[Row], list[Row]]:
        value = message.value()
        if value is None:
            return self._reject(message, dead_letter.EMPTY_MESSAGE, "null message value")
        try:
            scopes = decode_scopes(value, message.headers())
        except InvalidExportError as exc:
            return self._reject(message, dead_letter.UNDECODABLE, str(exc))
        kafka_columns = (key[0], key[1], offset)
        try:
            rows, rejects = scope_rows(scopes, kafka_columns)
        except Exception as exc:  # a normalizer bug must not stop the partition
            log.exception("normalizing %s[%d]@%d failed", *kafka_columns)
            return self._reject(message, dead_letter.NORMALIZE_FAILED, repr(exc))
        self.stats.spans_seen += sum(scope.span_count for scope in scopes)
        return rows, rejects

    def _reject(self, message: Message, reason: str, detail: str) -> tuple[list[Row], list[Row]]:
        self._dead_letters.send(message, reason, detail)
        self.stats.dead_lettered += 1
        return [], []

    def _note_position(self, key: TopicPartitionKey, next_offset: int) -> None:
        target = self._targets.get(key)
        if target is not None and next_offset >= target:
            self._caught_up.add(key)

    def _forget(self, key: TopicPartitionKey) -> None:
        self._targets.pop(key, None)
        self._replay_from.pop(key, None)
        self._leftovers.pop(key, None)
        self._assigned.discard(key)
        self._caught_up.discard(key)


def _position(message: Message) -> tuple[TopicPartitionKey, int]:
    # Set on every consumed message and partition event; None only on client-level errors.
    topic, partition, offset = message.topic(), message.partition(), message.offset()
    return (topic or "", -1 if partition is None else partition), -1 if offset is None else offset
