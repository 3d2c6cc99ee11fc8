"""Undecodable messages and impossible spans interleaved with good ones: every good span
lands, every bad message is in the dead-letter topic and every impossible span in the
rejects dataset, each with its reason."""

from __future__ import annotations

import random
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pyarrow.parquet as pq
from confluent_kafka import Consumer, Producer, TopicPartition

from llmledger.infra.settings import Settings
from llmledger.pipelines import dead_letter, rejects
from llmledger.pipelines.ingest import run
from llmledger.pipelines.lake_schema import REJECTS_SCHEMA

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `benchmarks` lives beside the source roots
    sys.path.insert(0, str(ROOT))

from benchmarks.ingest.spans import Truth, build_message  # noqa: E402
from benchmarks.ingest.verify import expected_totals, lake_totals  # noqa: E402

STARTED = datetime(2026, 5, 2, 12, 0, tzinfo=UTC)
CHAT = {
    "gen_ai.provider.name": "openai",
    "gen_ai.operation.name": "chat",
    "gen_ai.request.model": "gpt-4o",
}
IMPOSSIBLE: dict[str, dict[str, Any]] = {
    rejects.NEGATIVE_COUNT: {
        **CHAT,
        "gen_ai.usage.input_tokens": -40,
        "gen_ai.usage.output_tokens": 3,
    },
    rejects.ABSURD_COUNT: {
        **CHAT,
        "gen_ai.usage.input_tokens": 10**12,
        "gen_ai.usage.output_tokens": 3,
    },
    rejects.MISSING_MODEL: {
        "gen_ai.operation.name": "chat",
        "gen_ai.usage.input_tokens": 10,
        "gen_ai.usage.output_tokens": 3,
    },
    rejects.CACHE_EXCEEDS_INPUT: {
        **CHAT,
        "gen_ai.usage.input_tokens": 100,
        "gen_ai.usage.cache_read.input_tokens": 90,
        "gen_ai.usage.cache_write.input_tokens": 20,
        "gen_ai.usage.output_tokens": 3,
    },
    rejects.REASONING_EXCEEDS_OUTPUT: {
        **CHAT,
        "gen_ai.usage.input_tokens": 100,
        "gen_ai.usage.output_tokens": 3,
        "gen_ai.usage.reasoning.output_tokens": 4,
    },
}


def read_topic(bootstrap: str, topic: str) -> list[Any]:
    reader = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"read-{uuid.uuid4().hex}",
            "enable.partition.eof": True,
        }
    )
    reader.assign([TopicPartition(topic, 0, 0)])
    found = []
    while (message := reader.poll(10)) is not None and message.error() is None:
        found.append(message)
    reader.close()
    return found


def test_bad_messages_and_impossible_spans_are_kept_apart_with_reasons(
    kafka_bootstrap: str, new_topic: Callable[..., str], tmp_path: Path, otlp: SimpleNamespace
) -> None:
    topic, dlq = new_topic(), new_topic()
    rng, truth = random.Random(3), Truth()
    good = []
    for number in range(6):
        value, part = build_message(rng, number * 512, llm_every=2)
        good.append(value)
        truth.add(part)
    # Impossible spans ride inside an otherwise good export.
    impossible_spans = [
        otlp.span(attributes, span_id=(9000 + n).to_bytes(8, "big"), start=STARTED)
        for n, attributes in enumerate(IMPOSSIBLE.values())
    ]
    mixed = otlp.export(impossible_spans).SerializeToString()
    bad_id = otlp.export([otlp.span(CHAT, span_id=b"\x01\x02", start=STARTED)])
    undecodable = {
        b"\x00\x01\x02not protobuf": dead_letter.UNDECODABLE,
        good[0][: len(good[0]) // 2]: dead_letter.UNDECODABLE,  # truncated export
        b"\x0a\x05hello": dead_letter.UNDECODABLE,  # protobuf-shaped, not an export
        bad_id.SerializeToString(): dead_letter.UNDECODABLE,
        None: dead_letter.EMPTY_MESSAGE,
    }
    sequence: list[bytes | None] = [*good[:3], *undecodable, mixed, *good[3:]]
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    for value in sequence:
        producer.produce(topic, value)
    assert producer.flush(30) == 0
    settings = Settings.from_env(
        {
            "LLMLEDGER_HOME": str(tmp_path),
            "LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "LLMLEDGER_TOPIC": topic,
            "LLMLEDGER_DEAD_LETTER_TOPIC": dlq,
        }
    )

    stats = run(settings, until_caught_up=True, group_id=f"bad-{uuid.uuid4().hex}")

    assert lake_totals(settings.lake) == expected_totals(truth)
    letters = read_topic(kafka_bootstrap, dlq)
    assert [letter.value() for letter in letters] == [v or b"" for v in undecodable]
    for letter, reason in zip(letters, undecodable.values(), strict=True):
        headers = dict(letter.headers())
        assert headers[dead_letter.REASON_HEADER].decode() == reason
        assert headers[dead_letter.DETAIL_HEADER]
    [rejects_file] = (settings.lake / "rejects").glob("day=2026-05-02/*.parquet")
    rejected = pq.read_table(rejects_file)
    assert rejected.schema.equals(REJECTS_SCHEMA)
    by_span = {row["span_id"]: row["reject_reason"] for row in rejected.to_pylist()}
    assert by_span == {
        (9000 + n).to_bytes(8, "big").hex(): reason for n, reason in enumerate(IMPOSSIBLE)
    }
    assert (stats.messages, stats.dead_lettered, stats.rows_rejected) == (
        len(sequence),
        len(undecodable),
        len(IMPOSSIBLE),
    )
    assert stats.rejected_by_reason == dict.fromkeys(IMPOSSIBLE, 1)
    assert stats.llm_rows_written == truth.calls
