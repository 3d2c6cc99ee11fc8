"""Producing a load and reading the lake's totals back, for the benchmark and the consumer's
failure tests. Totals come from DuckDB over the Parquet files, as the warehouse reads them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import duckdb
from confluent_kafka import Producer

from benchmarks.ingest.spans import Truth

TOTAL_COLUMNS = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "reasoning_output_tokens",
)


def produce_all(
    bootstrap: str,
    topic: str,
    messages: list[bytes],
    *,
    partitions: int = 1,
    pause_every: int = 0,
    pause_seconds: float = 0.0,
    **config: Any,
) -> None:
    """Produce `messages` round-robin over `partitions` with an idempotent producer.

    With `pause_every`, wait `pause_seconds` after each `pause_every` messages: a load
    that arrives over time, as from a live fleet."""
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 20,
            "message.max.bytes": 10_000_000,
            **config,
        }
    )
    for number, value in enumerate(messages):
        producer.produce(topic, value, partition=number % partitions)
        producer.poll(0)
        if pause_every and number % pause_every == pause_every - 1:
            time.sleep(pause_seconds)
    if producer.flush(120):
        raise RuntimeError(f"could not deliver every message to {topic}")


def lake_totals(lake: Path, dataset: str = "llm_calls") -> dict[str, int]:
    """Row count, distinct calls and token sums of one lake dataset."""
    files = list((lake / dataset).glob("day=*/*.parquet"))
    if not files:
        return {"calls": 0, "distinct_calls": 0} | dict.fromkeys(TOTAL_COLUMNS, 0)
    sums = ", ".join(f"coalesce(sum({column}), 0)::bigint" for column in TOTAL_COLUMNS)
    query = f"select count(*), count(distinct call_id), {sums} from read_parquet(?)"
    with duckdb.connect() as connection:
        row = connection.execute(query, [[str(path) for path in files]]).fetchone()
    assert row is not None
    return dict(zip(("calls", "distinct_calls", *TOTAL_COLUMNS), map(int, row), strict=True))


def expected_totals(truth: Truth) -> dict[str, int]:
    """What `lake_totals` must return for a load whose every LLM span is billable."""
    return {
        "calls": truth.calls,
        "distinct_calls": truth.calls,
        "input_tokens": truth.input_tokens,
        "output_tokens": truth.output_tokens,
        "cache_read_input_tokens": truth.cache_read_input_tokens,
        "reasoning_output_tokens": truth.reasoning_output_tokens,
    }
