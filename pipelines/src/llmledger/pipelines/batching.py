"""Per-partition batches bounded by row count and age.

Each Kafka partition has its own batch so a batch is one contiguous offset range: that is
what names its files and what its commit moves past.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from llmledger.pipelines.lake_writer import OffsetRange, Row

TopicPartitionKey = tuple[str, int]


@dataclass
class PartitionBatch:
    """Lake rows (and rejected rows) from the messages `first_offset..last_offset` of one
    partition."""

    topic: str
    partition: int
    first_offset: int
    last_offset: int
    opened_at: float = field(default_factory=time.monotonic)
    rows: list[Row] = field(default_factory=list)
    rejects: list[Row] = field(default_factory=list)

    @property
    def offsets(self) -> OffsetRange:
        return OffsetRange(self.topic, self.partition, self.first_offset, self.last_offset)


class Batches:
    """The open batch of each partition, and which of them are due for writing."""

    def __init__(self, *, max_rows: int, max_seconds: float) -> None:
        if max_rows < 1 or max_seconds <= 0:
            raise ValueError("batch bounds must be positive")
        self._max_rows = max_rows
        self._max_seconds = max_seconds
        self._open: dict[TopicPartitionKey, PartitionBatch] = {}

    def add(
        self, topic: str, partition: int, offset: int, rows: list[Row], rejects: list[Row]
    ) -> bool:
        """Append one message's rows; True when the batch reached its row bound."""
        batch = self._open.get((topic, partition))
        if batch is None:
            batch = self._open[(topic, partition)] = PartitionBatch(
                topic, partition, offset, offset
            )
        batch.last_offset = offset
        batch.rows.extend(rows)
        batch.rejects.extend(rejects)
        return len(batch.rows) + len(batch.rejects) >= self._max_rows

    def take(self, topic: str, partition: int) -> PartitionBatch | None:
        """Remove and return the open batch of a partition, if any."""
        return self._open.pop((topic, partition), None)

    def take_expired(self, now: float | None = None) -> list[PartitionBatch]:
        """Remove and return the batches open for longer than the time bound."""
        now = time.monotonic() if now is None else now
        expired = [k for k, b in self._open.items() if now - b.opened_at >= self._max_seconds]
        return [self._open.pop(key) for key in expired]

    def take_all(self) -> list[PartitionBatch]:
        batches = list(self._open.values())
        self._open.clear()
        return batches
