"""The dead-letter topic: Kafka messages the consumer cannot turn into lake rows.

Each dead letter keeps the original key, value and headers, plus headers saying why it
was rejected and where it came from, so it can be inspected and replayed onto the source
topic once the cause is fixed. Sending waits for Kafka's acknowledgement: the consumer
commits past a bad message only once its dead letter is safe.
"""

from __future__ import annotations

import logging
from typing import Final

from confluent_kafka import Message

from llmledger.pipelines.delivery import AckedProducer

log = logging.getLogger(__name__)

REASON_HEADER: Final = "llmledger.dlq.reason"  # one of the reasons below
DETAIL_HEADER: Final = "llmledger.dlq.detail"  # human-readable cause
SOURCE_TOPIC_HEADER: Final = "llmledger.dlq.source_topic"
SOURCE_PARTITION_HEADER: Final = "llmledger.dlq.source_partition"
SOURCE_OFFSET_HEADER: Final = "llmledger.dlq.source_offset"

EMPTY_MESSAGE: Final = "empty_message"  # null value (a tombstone): no export inside
UNDECODABLE: Final = "undecodable"  # not an ExportTraceServiceRequest, or invalid span ids
NORMALIZE_FAILED: Final = "normalize_failed"  # decoded, but the normalizer raised (a bug)


class DeadLetters:
    """Produces rejected messages to `topic`; the producer starts on first use."""

    def __init__(self, bootstrap_servers: str, topic: str) -> None:
        self._bootstrap_servers = bootstrap_servers
        self.topic = topic
        self._producer: AckedProducer | None = None

    def send(self, message: Message, reason: str, detail: str) -> None:
        """Store `message` with `reason`; raises `DeliveryError` if Kafka does not take it."""
        if self._producer is None:
            self._producer = AckedProducer(self._bootstrap_servers)
        original = message.headers() or []
        headers = list(original.items() if isinstance(original, dict) else original)
        headers += [
            (REASON_HEADER, reason.encode()),
            (DETAIL_HEADER, detail.encode()),
            (SOURCE_TOPIC_HEADER, str(message.topic()).encode()),
            (SOURCE_PARTITION_HEADER, str(message.partition()).encode()),
            (SOURCE_OFFSET_HEADER, str(message.offset()).encode()),
        ]
        self._producer.send(self.topic, message.value() or b"", key=message.key(), headers=headers)
        log.warning(
            "dead-lettered %s[%d]@%d (%s): %s",
            message.topic(),
            message.partition(),
            message.offset(),
            reason,
            detail,
        )

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close()
            self._producer = None
