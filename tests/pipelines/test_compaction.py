"""Compaction merges a day's small files without losing or doubling a row, even when it
stops at any step (each step before the stop is durable, so stopping there is a crash)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from llmledger.pipelines import compaction
from llmledger.pipelines.compaction import compact_lake
from llmledger.pipelines.lake_writer import OffsetRange, write_batch

TOPIC = "otlp_spans"
DAY_MICROS = 1_777_680_000_000_000  # 2026-05-02T00:00:00Z
COLUMNS_BEFORE_KAFKA = 28


def row(offset: int, number: int) -> tuple[Any, ...]:
    values: list[Any] = [None] * COLUMNS_BEFORE_KAFKA
    span_id = f"{offset:08x}{number:08x}"
    values[0:3] = [f"{'ab' * 16}-{span_id}", "ab" * 16, span_id]
    values[4] = DAY_MICROS + offset * 1000 + number
    values[12], values[16] = 100 + number, 7  # input and output tokens
    values[21] = False
    return (*values, TOPIC, 0, offset)


def write_small_files(lake: Path) -> list[tuple[Any, ...]]:
    rows = []
    for first, last in [(0, 0), (1, 1), (2, 3), (4, 4), (5, 6)]:
        batch = [row(offset, n) for offset in range(first, last + 1) for n in range(3)]
        write_batch(lake, OffsetRange(TOPIC, 0, first, last), batch)
        rows += batch
    return rows


def visible(lake: Path) -> tuple[list[str], list[tuple[str, int]]]:
    """File names and (call_id, offset) rows a `day=*/*.parquet` reader sees."""
    paths = sorted((lake / "llm_calls").glob("day=*/*.parquet"))
    rows = [
        (r["call_id"], r["kafka_offset"])
        for path in paths
        for r in pq.read_table(path, columns=["call_id", "kafka_offset"]).to_pylist()
    ]
    return [path.name for path in paths], sorted(rows)


def expected_rows(rows: list[tuple[Any, ...]]) -> list[tuple[str, int]]:
    return sorted((r[0], r[-1]) for r in rows)


def test_files_below_the_committed_offset_become_one(tmp_path: Path) -> None:
    rows = write_small_files(tmp_path)

    result = compact_lake(tmp_path, {(TOPIC, 0): 5})  # offsets 0-4 are committed

    names, seen = visible(tmp_path)
    assert names == [f"{TOPIC}-0-0-4.parquet", f"{TOPIC}-0-5-6.parquet"]
    assert seen == expected_rows(rows)
    merged_rows = sum(1 for r in rows if r[-1] <= 4)
    assert (result.folders, result.inputs, result.outputs, result.rows) == (1, 4, 1, merged_rows)
    assert not list(tmp_path.glob("llm_calls/.*"))  # the old folder is gone


def test_nothing_is_merged_without_a_committed_offset(tmp_path: Path) -> None:
    write_small_files(tmp_path)
    before = visible(tmp_path)

    assert compact_lake(tmp_path, {("other", 0): 100}).inputs == 0
    assert visible(tmp_path) == before


@pytest.mark.parametrize("stop_at", ["write", "exchange", "cleanup"])
def test_a_compaction_stopped_at_any_step_loses_and_doubles_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stop_at: str
) -> None:
    rows = write_small_files(tmp_path)

    def crash(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt(f"stopped at {stop_at}")

    target = {"write": "write_file_atomically", "exchange": "_exchange", "cleanup": "shutil"}
    if stop_at == "cleanup":
        monkeypatch.setattr(compaction.shutil, "rmtree", crash)
    else:
        monkeypatch.setattr(compaction, target[stop_at], crash)
    with pytest.raises(KeyboardInterrupt):
        compact_lake(tmp_path, {(TOPIC, 0): 7})
    assert visible(tmp_path)[1] == expected_rows(rows)  # what readers see meanwhile

    monkeypatch.undo()
    compact_lake(tmp_path, {(TOPIC, 0): 7})

    assert visible(tmp_path) == ([f"{TOPIC}-0-0-6.parquet"], expected_rows(rows))
    assert not list(tmp_path.glob("llm_calls/.*"))  # the stale sibling was cleaned up
