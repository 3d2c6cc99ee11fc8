"""Topic administration shared by the CLI, the fixtures and the pipelines."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

_ADMIN_TIMEOUT_SECONDS = 30.0


def ensure_topics(bootstrap: str, topics: Mapping[str, int]) -> None:
    """Create each topic in `topics` (name -> partition count) that does not exist yet.

    Idempotent: existing topics are left as they are, even if their partition count differs.
    Raises `ValueError` for a partition count below 1 and `KafkaException` for any other failure.
    """
    for name, partitions in topics.items():
        if partitions < 1:
            raise ValueError(f"Topic {name!r} needs at least 1 partition, not {partitions}.")
    if not topics:
        return
    admin = AdminClient({"bootstrap.servers": bootstrap})
    existing = set(admin.list_topics(timeout=_ADMIN_TIMEOUT_SECONDS).topics)
    missing = [
        NewTopic(name, num_partitions=partitions, replication_factor=-1)
        for name, partitions in topics.items()
        if name not in existing
    ]
    if not missing:
        return
    futures = admin.create_topics(missing, operation_timeout=_ADMIN_TIMEOUT_SECONDS)
    for future in futures.values():
        try:
            future.result(timeout=_ADMIN_TIMEOUT_SECONDS)
        except KafkaException as error:
            # Another process may have created it between list_topics and create_topics.
            if error.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise
    _wait_for_leaders(admin, [topic.topic for topic in missing])


def _wait_for_leaders(admin: AdminClient, names: list[str]) -> None:
    # A created topic can be missing from metadata for a moment; callers produce right away.
    deadline = time.monotonic() + _ADMIN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        metadata = admin.list_topics(timeout=_ADMIN_TIMEOUT_SECONDS).topics
        if all(_has_leaders(metadata.get(name)) for name in names):
            return
        time.sleep(0.05)
    raise TimeoutError(
        f"Topics {names} have no partition leaders after {_ADMIN_TIMEOUT_SECONDS} s."
    )


def _has_leaders(topic: Any) -> bool:
    return (
        topic is not None
        and topic.error is None
        and bool(topic.partitions)
        and all(partition.leader >= 0 for partition in topic.partitions.values())
    )
