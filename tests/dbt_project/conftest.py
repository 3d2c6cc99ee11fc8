"""Writes small Parquet lakes in the consumer's layout for the warehouse tests."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from llmledger.pipelines.lake_schema import LLM_CALLS_DATASET, LLM_CALLS_SCHEMA

LakeWriter = Callable[[Path, Iterable[Mapping[str, Any]]], None]

_file_numbers = itertools.count()


def lake_row(call_id: str, started_at: datetime, **columns: Any) -> dict[str, Any]:
    """A lake row with every schema column: given values, NULL elsewhere."""
    row: dict[str, Any] = dict.fromkeys(LLM_CALLS_SCHEMA.names)
    trace_id, _, span_id = call_id.partition("-")
    row.update(
        call_id=call_id,
        trace_id=trace_id,
        span_id=span_id or "0",
        started_at=started_at,
        kafka_topic="otlp_spans",
        kafka_partition=0,
        kafka_offset=0,
    )
    row.update(columns)
    return row


def _write_lake(lake: Path, rows: Iterable[Mapping[str, Any]]) -> None:
    """One Parquet file per UTC day (and per call to the writer), as the consumer lays them out."""
    by_day: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        by_day.setdefault(row["started_at"].strftime("%Y-%m-%d"), []).append(row)
    for day, day_rows in by_day.items():
        folder = lake / LLM_CALLS_DATASET / f"day={day}"
        folder.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pylist(list(day_rows), schema=LLM_CALLS_SCHEMA)
        pq.write_table(table, folder / f"otlp_spans-0-{next(_file_numbers)}.parquet")


@pytest.fixture(scope="session")
def write_lake() -> LakeWriter:
    return _write_lake


RowMaker = Callable[..., dict[str, Any]]


@pytest.fixture(scope="session")
def make_lake_row() -> RowMaker:
    return lake_row
