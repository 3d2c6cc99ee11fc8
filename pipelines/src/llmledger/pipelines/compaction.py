"""Merging a day's small lake files into one per Kafka partition, atomically.

The consumer writes one file per batch, so a busy day collects thousands of small files.
`compact_lake` merges, in each day folder of each dataset, the files of one partition into
`<topic>-<partition>-<first>-<last>.parquet` covering the union of their offset ranges.

Protocol (readers never see both the inputs and the merged file, a kill at any point loses
and duplicates nothing):

1. Only files wholly below the consumer group's committed offset are merged: a crashed
   consumer replays from the committed offset, so it never rewrites them (and a manual
   rewind deletes the merged file like any other superseded file, see `ingest_steps`).
2. Under the lake's exclusive lock (consumers hold it shared while writing), a sibling
   folder `.day=D.compacting` is built: hard links to every file kept as is, plus the
   merged files, all fsynced.
3. `renameat2(RENAME_EXCHANGE)` swaps the sibling and the day folder in one atomic step:
   a reader lists either the old files or the new ones, never a mix.
4. The sibling, now holding the old files, is deleted. A leftover sibling (crash between
   2 and 4) is stale whichever side of the swap it is: the next run deletes it first.
A reader listing the folder just before the swap may find its files gone when it opens
them: it gets an error and retries, never a wrong total. Linux only (renameat2).
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from llmledger.pipelines.lake_lock import lake_lock
from llmledger.pipelines.lake_writer import (
    DATASETS,
    OffsetRange,
    fsync_directory,
    write_file_atomically,
)

TopicPartitionKey = tuple[str, int]
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@dataclass
class CompactionResult:
    """What one compaction run did."""

    folders: int = 0  # day folders swapped
    inputs: int = 0  # small files merged away
    outputs: int = 0  # merged files written
    rows: int = 0  # rows in the merged files (equal to the rows of the inputs)


def compact_lake(
    lake: Path, committed: Mapping[TopicPartitionKey, int], *, min_files: int = 2
) -> CompactionResult:
    """Compact every day folder of every dataset; `committed` maps (topic, partition) to
    the group's committed offset (the next offset it will read)."""
    result = CompactionResult()
    with lake_lock(lake, exclusive=True):
        for dataset in DATASETS:
            for folder in sorted((lake / dataset).glob("day=*")):
                _compact_folder(folder, committed, min_files, result)
    return result


def _compact_folder(
    folder: Path,
    committed: Mapping[TopicPartitionKey, int],
    min_files: int,
    result: CompactionResult,
) -> None:
    sibling = folder.with_name(f".{folder.name}.compacting")
    if sibling.exists():
        shutil.rmtree(sibling)  # a crashed run's: stale on either side of the swap
    groups: dict[TopicPartitionKey, list[tuple[OffsetRange, Path]]] = defaultdict(list)
    kept: list[Path] = []
    for path in sorted(folder.iterdir()):
        found = OffsetRange.from_file_name(path.name)
        if found is None:
            if not path.name.startswith("."):
                kept.append(path)  # not ours: carried over untouched
            continue  # temp files of killed writers are dropped with the old folder
        limit = committed.get((found.topic, found.partition))
        if limit is not None and found.last < limit:
            groups[(found.topic, found.partition)].append((found, path))
        else:
            kept.append(path)
    merging = {key: files for key, files in groups.items() if len(files) >= min_files}
    kept += [path for key, files in groups.items() if key not in merging for _, path in files]
    if not merging:
        return
    sibling.mkdir()
    for path in kept:
        os.link(path, sibling / path.name)
    for (topic, partition), files in merging.items():
        files.sort(key=lambda item: item[0].first)
        table = pa.concat_tables([pq.read_table(path) for _, path in files])
        merged = OffsetRange(topic, partition, files[0][0].first, files[-1][0].last)
        write_file_atomically(table, sibling / merged.file_name())
        result.inputs += len(files)
        result.outputs += 1
        result.rows += table.num_rows
    fsync_directory(sibling)
    _exchange(sibling, folder)
    fsync_directory(folder.parent)
    shutil.rmtree(sibling)
    result.folders += 1


def _exchange(first: Path, second: Path) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    outcome = libc.renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if outcome != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"renameat2 exchange failed: {errno.errorcode.get(code, code)}")
