"""Committing offsets after the lake files are durable, through broker restarts."""

from __future__ import annotations

import logging
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

log = logging.getLogger(__name__)

# Errors that mean "the group coordinator is away for a moment" (a broker restart).
_RETRIABLE_COMMIT_ERRORS = {
    KafkaError._TRANSPORT,
    KafkaError._TIMED_OUT,
    KafkaError._WAIT_COORD,
    KafkaError.REQUEST_TIMED_OUT,
    KafkaError.COORDINATOR_NOT_AVAILABLE,
    KafkaError.NOT_COORDINATOR,
    KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
}
COMMIT_RETRY_SECONDS = 120.0


def commit_durably(consumer: Consumer, position: TopicPartition) -> None:
    """Commit `position` synchronously, retrying while the coordinator is unreachable.

    The files are durable already: retrying only delays, giving up would replay them.
    Any other error (e.g. the partition now belongs to another consumer) is raised."""
    deadline = time.monotonic() + COMMIT_RETRY_SECONDS
    pause = 0.1
    while True:
        try:
            consumer.commit(offsets=[position], asynchronous=False)
            return
        except KafkaException as exc:
            error = exc.args[0]
            retriable = error.retriable() or error.code() in _RETRIABLE_COMMIT_ERRORS
            if not retriable or time.monotonic() > deadline:
                raise
            log.warning("commit of %s failed, retrying: %s", position, error)
            time.sleep(pause)
            pause = min(pause * 2, 2.0)
