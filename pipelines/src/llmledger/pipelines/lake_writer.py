"""Durable, replay-safe Parquet files for the `llm_calls` dataset.

A batch of one Kafka partition becomes one file per UTC day its calls started on, named
`<topic>-<partition>-<first_offset>-<last_offset>.parquet`: replaying the same offsets
rewrites the same names. Each file appears atomically (temp name in the same folder,
fsync, rename, fsync the folder), so readers never see half a file and a crash leaves
either the old state or the new one.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from llmledger.pipelines.lake_schema import LLM_CALLS_DATASET, LLM_CALLS_SCHEMA

PARQUET_SUFFIX = ".parquet"


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


def day_folder(lake: Path, day: str) -> Path:
    return lake / LLM_CALLS_DATASET / f"day={day}"


def write_batch(lake: Path, offsets: OffsetRange, rows: Sequence[dict[str, Any]]) -> list[Path]:
    """Write `rows` (complete lake rows) grouped by UTC start day; return the files written."""
    by_day: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_day[row["started_at"].date().isoformat()].append(row)
    written = []
    for day, day_rows in sorted(by_day.items()):
        folder = day_folder(lake, day)
        if not folder.is_dir():
            folder.mkdir(parents=True, exist_ok=True)
            _fsync_directory(folder.parent)
        path = folder / offsets.file_name()
        _write_atomically(pa.Table.from_pylist(day_rows, schema=LLM_CALLS_SCHEMA), path)
        written.append(path)
    return written


def remove_superseded(folders: Iterable[Path], rewritten: OffsetRange, keep: set[Path]) -> int:
    """Delete older files of the same partition whose whole range lies inside `rewritten`.

    Called after a replay re-wrote the offsets `rewritten.first..last` (possibly cut into
    different batches than last time): files from the earlier run covering only those
    offsets now duplicate rows. `keep` holds the files this run wrote.
    """
    removed = 0
    for folder in folders:
        for path in folder.iterdir():
            found = OffsetRange.from_file_name(path.name)
            if (
                found is not None
                and path not in keep
                and (found.topic, found.partition) == (rewritten.topic, rewritten.partition)
                and rewritten.first <= found.first <= found.last <= rewritten.last
            ):
                path.unlink()
                removed += 1
        if removed:
            _fsync_directory(folder)
    return removed


def _write_atomically(table: pa.Table, path: Path) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("wb") as sink:
        pq.write_table(table, sink, compression="zstd")
        sink.flush()
        os.fsync(sink.fileno())
    temporary.replace(path)
    _fsync_directory(path.parent)  # makes the rename itself survive a power cut


def _fsync_directory(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
