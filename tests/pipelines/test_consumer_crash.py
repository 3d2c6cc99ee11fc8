"""The consumer process killed with SIGKILL 20 times during a 200,000-span load loses and
doubles nothing; SIGTERM finishes the batch in hand and exits 0.

The consumer runs as a real process (`python -m llmledger.pipelines.consumer_process`),
with static group membership so each restart takes its partitions back at once.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from confluent_kafka import Consumer, TopicPartition

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `benchmarks` lives beside the source roots
    sys.path.insert(0, str(ROOT))

from benchmarks.ingest.spans import Truth, build_load, build_message  # noqa: E402
from benchmarks.ingest.verify import expected_totals, lake_totals, produce_all  # noqa: E402

PARTITIONS = 2
KILLS = 20


class ConsumerProcess:
    """One `consumer_process` child; `assigned` is set once it owns partitions."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.assigned = threading.Event()
        self.output: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "llmledger.pipelines.consumer_process", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            if "assigned [(" in line:
                self.assigned.set()

    def wait(self, timeout: float) -> int:
        code = self.process.wait(timeout)
        self._reader.join(10)
        return code

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def consumer_env(bootstrap: str, topic: str, home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "LLMLEDGER_HOME": str(home),
        "LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "LLMLEDGER_TOPIC": topic,
        "LLMLEDGER_DEAD_LETTER_TOPIC": f"{topic}.dlq",
    }


def committed(bootstrap: str, group: str, topic: str, partitions: int) -> list[int]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        wanted = [TopicPartition(topic, p) for p in range(partitions)]
        return [tp.offset for tp in consumer.committed(wanted, timeout=10)]
    finally:
        consumer.close()


def test_sigkill_twenty_times_then_drain_gives_exact_totals(
    kafka_bootstrap: str, new_topic: Callable[..., str], tmp_path: Path
) -> None:
    topic = new_topic(partitions=PARTITIONS)
    messages, truth = build_load(200_000, llm_every=4, seed=11)
    produce_all(kafka_bootstrap, topic, messages, partitions=PARTITIONS)
    env = consumer_env(kafka_bootstrap, topic, tmp_path)
    group, instance = f"crash-{uuid.uuid4().hex}", "crash-test-consumer"
    # Small batches: many write-then-commit windows for the kills to land in.
    options = ("--group-id", group, "--instance-id", instance, "--max-batch-rows", "1500")
    rng = random.Random(2026)
    progress = []
    for _ in range(KILLS):
        child = ConsumerProcess(env, *options)
        try:
            assert child.assigned.wait(60), "".join(child.output)
            time.sleep(rng.uniform(0.05, 0.5))
            child.process.send_signal(signal.SIGKILL)
            assert child.wait(30) == -signal.SIGKILL
        finally:
            child.stop()
        progress.append(sum(max(o, 0) for o in committed(kafka_bootstrap, group, topic, 2)))

    drain = ConsumerProcess(env, *options, "--until-caught-up")
    try:
        assert drain.wait(180) == 0, "".join(drain.output)
    finally:
        drain.stop()

    assert lake_totals(tmp_path / "lake") == expected_totals(truth)
    assert lake_totals(tmp_path / "lake", "rejects")["calls"] == 0
    per_partition = [len(messages[p::PARTITIONS]) for p in range(PARTITIONS)]
    assert committed(kafka_bootstrap, group, topic, PARTITIONS) == per_partition
    # The kills interrupted real work: some happened before the load was consumed.
    assert progress[0] < len(messages), progress


def test_sigterm_finishes_the_batch_in_hand_and_exits_zero(
    kafka_bootstrap: str, new_topic: Callable[..., str], tmp_path: Path
) -> None:
    topic = new_topic()
    rng = random.Random(5)
    built = [build_message(rng, number * 512, llm_every=3) for number in range(10)]
    produce_all(kafka_bootstrap, topic, [value for value, _truth in built])
    group = f"sigterm-{uuid.uuid4().hex}"
    # Batches that only SIGTERM can close: 5 minutes, a million rows.
    child = ConsumerProcess(
        consumer_env(kafka_bootstrap, topic, tmp_path),
        *("--group-id", group, "--max-batch-seconds", "300", "--max-batch-rows", "1000000"),
    )
    try:
        assert child.assigned.wait(60), "".join(child.output)
        time.sleep(3)  # time to read messages into the batch in hand
        assert lake_totals(tmp_path / "lake")["calls"] == 0  # nothing written yet
        child.process.send_signal(signal.SIGTERM)
        assert child.wait(60) == 0, "".join(child.output)
    finally:
        child.stop()

    [read] = committed(kafka_bootstrap, group, topic, 1)
    assert read >= 1  # the batch in hand held messages, and was committed
    truth = Truth()
    for _value, part in built[:read]:
        truth.add(part)
    assert lake_totals(tmp_path / "lake") == expected_totals(truth)
