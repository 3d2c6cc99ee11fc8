"""Durable, replay-safe Parquet files for the `llm_calls` and `rejects` datasets.

A batch of one Kafka partition becomes one file per dataset and UTC day its calls started on, named
`<topic>-<partition>-<first_offset>-<last_offset>.parquet`: replaying the same offsets
rewrites the same names. Each file appears atomically (temp name in the same folder,
fsync, rename, fsync the folder), so readers never see half a file and a crash leaves
either the old state or the new one. Rows arrive as tuples in schema order (timestamps as
integer microseconds) and become Arrow columns directly: no dict per row on the hot path.
Writers hold the lake's shared lock (`lake_lock`) so compaction never swaps a day folder
under them.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from llmledger.pipelines.lake_schema import (
    LLM_CALLS_DATASET,
    LLM_CALLS_SCHEMA,
    REJECTS_DATASET,
    REJECTS_SCHEMA,
)

PARQUET_SUFFIX = ".parquet"
DATASETS = {LLM_CALLS_DATASET: LLM_CALLS_SCHEMA, REJECTS_DATASET: REJECTS_SCHEMA}
STARTED_AT_INDEX = LLM_CALLS_SCHEMA.get_field_index("started_at")
_MICROS_PER_DAY = 86_400_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Row = tuple[Any, ...]


@dataclass(frozen=True)
class OffsetRange:
    """The Kafka messages one file was built from (both ends inclusive)."""

    topic: str
    partition: int
    first: int
    last: int

    def file_name(self) -> str:
        return f"{self.topic}-{self.partition}-{self.first}-{self.last}{PARQUET_SUFFIX}"

    @classmethod
    def from_file_name(cls, name: str) -> OffsetRange | None:
        """Parse a lake file name; None for anything else (temp files, foreign files)."""
        if not name.endswith(PARQUET_SUFFIX) or name.startswith("."):
            return None
        # Topic names may contain '-', the three numbers cannot.
        parts = name.removesuffix(PARQUET_SUFFIX).rsplit("-", 3)
        if len(parts) != 4 or not all(part.isdigit() for part in parts[1:]):
            return None
        return cls(parts[0], int(parts[1]), int(parts[2]), int(parts[3]))


def day_folder(lake: Path, day: str, dataset: str = LLM_CALLS_DATASET) -> Path:
    return lake / dataset / f"day={day}"


def write_batch(
    lake: Path, offsets: OffsetRange, rows: Sequence[Row], dataset: str = LLM_CALLS_DATASET
) -> list[Path]:
    """Write complete lake rows of `dataset`, one file per UTC start day; return the files."""
    schema = DATASETS[dataset]
    by_day: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        by_day[row[STARTED_AT_INDEX] // _MICROS_PER_DAY].append(row)
    written = []
    for day_number, day_rows in sorted(by_day.items()):
        day = (_EPOCH + timedelta(days=day_number)).date().isoformat()
        folder = day_folder(lake, day, dataset)
        if not folder.is_dir():
            folder.mkdir(parents=True, exist_ok=True)
            fsync_directory(folder.parent)
        path = folder / offsets.file_name()
        write_file_atomically(rows_to_table(day_rows, schema), path)
        written.append(path)
    return written


def rows_to_table(rows: Sequence[Row], schema: pa.Schema) -> pa.Table:
    columns = zip(*rows, strict=True) if rows else ([] for _ in schema)
    arrays = [pa.array(column, type=f.type) for column, f in zip(columns, schema, strict=True)]
    return pa.Table.from_arrays(arrays, schema=schema)


def partition_files(lake: Path, topic: str, partition: int) -> Iterator[tuple[OffsetRange, Path]]:
    """Every lake file (all datasets and days) holding offsets of one Kafka partition."""
    for dataset in DATASETS:
        for folder in sorted((lake / dataset).glob("day=*")):
            for path in folder.iterdir():
                found = OffsetRange.from_file_name(path.name)
                if found is not None and (found.topic, found.partition) == (topic, partition):
                    yield found, path


def remove_files(paths: Sequence[Path]) -> None:
    """Delete lake files, then make the deletions durable."""
    for path in paths:
        path.unlink(missing_ok=True)
    for folder in {path.parent for path in paths}:
        fsync_directory(folder)


def write_file_atomically(table: pa.Table, path: Path) -> None:
    """Temp file in the same folder, fsync, rename, fsync the folder."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("wb") as sink:
        pq.write_table(table, sink, compression="zstd")
        sink.flush()
        os.fsync(sink.fileno())
    temporary.replace(path)
    fsync_directory(path.parent)  # makes the rename itself survive a power cut


def fsync_directory(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
