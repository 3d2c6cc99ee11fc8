"""One measured phase of the ingest benchmark, run in its own process for a clean peak RSS.

    python -m benchmarks.ingest.phases decode|ingest BOOTSTRAP TOPIC SPANS LAKE

Prints one JSON object: spans, seconds, spans_per_second, cpu_seconds,
spans_per_cpu_second, peak_rss_mib. The clock starts
when the consumer gets its partitions, so group-join time (the same for both phases, but
noisy) is not counted.
"""

from __future__ import annotations

import json
import logging
import resource
import sys
import time
import uuid
from pathlib import Path

from confluent_kafka import Consumer, KafkaError, TopicPartition
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from llmledger.infra.settings import Settings
from llmledger.pipelines import ingest


class _Clock:
    assigned_at: float | None = None
    cpu_at_assignment: float = 0.0

    @classmethod
    def on_assign(cls, *_args: object) -> None:
        if cls.assigned_at is None:
            cls.assigned_at = time.perf_counter()
            cls.cpu_at_assignment = time.process_time()


class _AssignmentLog(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("assigned"):
            _Clock.on_assign()


def decode_only(bootstrap: str, topic: str) -> None:
    """Consume every message of `topic` and protobuf-decode it: the baseline.

    Stops as `ingest.run(until_caught_up=True)` does, at the high watermark the partition
    had when assigned: waiting for the end-of-partition event instead would add the
    broker's fetch wait (up to `fetch.wait.max.ms`) to the baseline's time only."""
    config = ingest.consumer_config(bootstrap, f"bench-decode-{uuid.uuid4().hex}", True)
    consumer = Consumer(config)
    targets: dict[int, int] = {}
    reached: set[int] = set()

    def on_assign(consumer: Consumer, partitions: list[TopicPartition]) -> None:
        _Clock.on_assign()
        for tp in partitions:
            targets[tp.partition] = consumer.get_watermark_offsets(tp, 10, cached=False)[1]

    consumer.subscribe([topic], on_assign=on_assign)
    timeout = ingest.POLL_TIMEOUT_S
    while not targets or reached < targets.keys():
        messages = consumer.consume(ingest.POLL_MESSAGES, timeout)
        for message in messages:
            error, partition = message.error(), message.partition() or 0
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    reached.add(partition)
                continue
            ExportTraceServiceRequest.FromString(message.value() or b"")
            if (message.offset() or 0) + 1 >= targets.get(partition, 0):
                reached.add(partition)
        timeout = 0 if messages else ingest.POLL_TIMEOUT_S  # as `ingest.run` polls
    consumer.close()


def ingest_to_lake(bootstrap: str, topic: str, lake: Path) -> None:
    """The real consumer: decode, normalize, batch, write Parquet, commit."""
    settings = Settings.from_env(
        {
            "LLMLEDGER_HOME": str(lake.parent),
            "LLMLEDGER_LAKE": str(lake),
            "LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "LLMLEDGER_TOPIC": topic,
        }
    )
    steps_log = logging.getLogger("llmledger.pipelines.ingest_steps")
    steps_log.setLevel(logging.INFO)
    steps_log.addHandler(_AssignmentLog())
    ingest.run(settings, until_caught_up=True, group_id=f"bench-ingest-{uuid.uuid4().hex}")


def _peak_rss_kib() -> int:
    # VmHWM starts afresh at exec; getrusage's ru_maxrss would carry the peak of the
    # benchmark's parent, whose memory the forked child counted before exec.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(argv: list[str]) -> None:
    phase, bootstrap, topic, spans, lake = argv
    if phase == "decode":
        decode_only(bootstrap, topic)
    else:
        ingest_to_lake(bootstrap, topic, Path(lake))
    assert _Clock.assigned_at is not None, "the consumer never got its partition"
    seconds = time.perf_counter() - _Clock.assigned_at
    # CPU time of the whole process (librdkafka's threads included): on a shared machine
    # it says more than the wall clock, which counts time spent waiting for a core.
    cpu_seconds = time.process_time() - _Clock.cpu_at_assignment
    peak_kib = _peak_rss_kib()
    result = {
        "spans": int(spans),
        "seconds": round(seconds, 3),
        "spans_per_second": round(int(spans) / seconds),
        "cpu_seconds": round(cpu_seconds, 3),
        "spans_per_cpu_second": round(int(spans) / cpu_seconds),
        "peak_rss_mib": round(peak_kib / 1024, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
