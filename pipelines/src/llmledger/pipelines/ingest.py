"""The Kafka consumer that turns OTLP exports into the Parquet lake.

Reads `settings.topic` (one `ExportTraceServiceRequest` per message, the Collector's
`otlp_proto` format), keeps one row per billable GenAI span, and writes
`<lake>/llm_calls/day=YYYY-MM-DD/<topic>-<partition>-<first>-<last>.parquet`. Offsets are
committed only after the files are durable: at-least-once delivery, made effectively
exactly-once in the lake by deterministic file names (a replay rewrites, never adds).
Undecodable messages go to `settings.dead_letter_topic` with headers saying why; model
calls with impossible values go to `<lake>/rejects/` with a `reject_reason` (see `rejects`).
GenAI spans are found without decoding the others (`wire_scan`) and normalized by
`span_extract`; `ingest_status` reports what was done and `compaction` merges small files.

Usage::

    stats = run(Settings.from_env(), until_caught_up=True)   # demo, tests, backfills
    run(Settings.from_env())                                 # service: until SIGTERM/SIGINT
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from confluent_kafka import Consumer

from llmledger.infra.settings import Settings
from llmledger.pipelines.batching import Batches
from llmledger.pipelines.dead_letter import DeadLetters
from llmledger.pipelines.ingest_steps import IngestStats, IngestSteps
from llmledger.pipelines.signals import stop_on_signals

__all__ = ["DEFAULT_GROUP_ID", "IngestStats", "run"]

log = logging.getLogger(__name__)

DEFAULT_GROUP_ID = "llmledger-ingest"
DEFAULT_MAX_BATCH_ROWS = 50_000
DEFAULT_MAX_BATCH_SECONDS = 10.0
# consume() returns when it has this many messages or the timeout passed, whichever is
# first: a small count keeps a slow trickle from waiting out the timeout each time.
POLL_MESSAGES = 32
POLL_TIMEOUT_S = 0.2


def run(
    settings: Settings,
    *,
    until_caught_up: bool = False,
    max_batch_rows: int = DEFAULT_MAX_BATCH_ROWS,
    max_batch_seconds: float = DEFAULT_MAX_BATCH_SECONDS,
    stop: threading.Event | None = None,
    group_id: str = DEFAULT_GROUP_ID,
    group_instance_id: str | None = None,
) -> IngestStats:
    """Consume `settings.topic` into the lake; return what was done.

    With `until_caught_up`, stop once every assigned partition reached the high watermark
    it had when assigned (then write, commit and return); a topic that does not exist yet
    counts as caught up. Otherwise run until SIGTERM/SIGINT (main thread only) or until
    `stop` is set. Either way the batches in hand are written and committed before
    returning. A batch closes at `max_batch_rows` lake rows or `max_batch_seconds` age.
    `group_instance_id` makes this a static group member: a restarted consumer with the
    same id takes its partitions back at once instead of waiting out the session timeout.
    """
    if not settings.kafka_bootstrap_servers:
        raise ValueError("ingest needs Kafka: set LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS")
    stop = threading.Event() if stop is None else stop
    batches = Batches(max_rows=max_batch_rows, max_seconds=max_batch_seconds)
    dead_letters = DeadLetters(settings.kafka_bootstrap_servers, settings.dead_letter_topic)
    config = consumer_config(settings.kafka_bootstrap_servers, group_id, until_caught_up)
    if group_instance_id is not None:
        config["group.instance.id"] = group_instance_id
    consumer = Consumer(config)
    steps = IngestSteps(
        consumer, batches, dead_letters, settings.lake, track_catch_up=until_caught_up
    )
    try:
        if until_caught_up and not _topic_exists(consumer, settings.topic):
            log.warning("topic %s does not exist: nothing to ingest", settings.topic)
            return steps.stats
        consumer.subscribe(
            [settings.topic],
            on_assign=steps.on_assign,
            on_revoke=steps.on_revoke,
            on_lost=steps.on_lost,
        )
        with stop_on_signals(stop):
            timeout = POLL_TIMEOUT_S
            while not stop.is_set() and not (until_caught_up and steps.is_caught_up()):
                messages = consumer.consume(POLL_MESSAGES, timeout)
                for message in messages:
                    steps.handle(message)
                # consume() waits for a full batch or the timeout: while messages flow,
                # take what is queued at once; wait only when idle.
                timeout = 0 if messages else POLL_TIMEOUT_S
                for batch in batches.take_expired():
                    steps.flush(batch)
        for batch in batches.take_all():
            steps.flush(batch)
    except BaseException:
        # Leave unwritten work uncommitted (it will be replayed); close() must not flush it.
        batches.take_all()
        raise
    finally:
        consumer.close()
        dead_letters.close()
    log.info("ingest finished: %s", steps.stats)
    return steps.stats


def consumer_config(bootstrap_servers: str, group_id: str, until_caught_up: bool) -> dict[str, Any]:
    """The consumer's librdkafka settings (the ingest benchmark's baseline uses them too)."""
    return {
        "bootstrap.servers": bootstrap_servers,
        "group.id": group_id,
        "enable.auto.commit": False,  # offsets move only after the lake files are durable
        "auto.offset.reset": "earliest",
        # End-of-partition events tell when a partition is caught up even if its last
        # offsets are transaction markers that are never delivered.
        "enable.partition.eof": until_caught_up,
        # An OTLP export is often hundreds of KB: fetch several per round trip.
        "max.partition.fetch.bytes": 16 * 1024 * 1024,
        "fetch.max.bytes": 64 * 1024 * 1024,
        "logger": logging.getLogger("llmledger.kafka.consumer"),
    }


def _topic_exists(consumer: Consumer, topic: str) -> bool:
    metadata = consumer.list_topics(topic, timeout=10)
    found = metadata.topics.get(topic)
    return found is not None and found.error is None
