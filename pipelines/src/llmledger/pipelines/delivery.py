"""A Kafka producer that tells its caller when the broker has the message.

The gateway answers an OTLP exporter only after Kafka acknowledged the export, and the
consumer commits offsets only after its dead letters are acknowledged, so both need a
blocking "send and wait for the ack" on top of librdkafka's asynchronous producer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

log = logging.getLogger(__name__)

Headers = Sequence[tuple[str, str | bytes | None]]


class DeliveryError(RuntimeError):
    """Kafka did not acknowledge the message (unreachable, timed out, queue full, ...)."""


class ProducerQueueFullError(DeliveryError):
    """librdkafka's local queue is full: Kafka is slower than the senders (backpressure)."""


class MessageTooLargeError(DeliveryError):
    """A message exceeds the producer's or the broker's size limit: retrying cannot help."""


def producer_config(
    bootstrap_servers: str, *, delivery_timeout_s: float, max_message_bytes: int | None = None
) -> dict[str, Any]:
    """Idempotent, fully acknowledged, compressed: a retry can never duplicate or lose a message."""
    config: dict[str, Any] = {
        "bootstrap.servers": bootstrap_servers,
        "enable.idempotence": True,
        "acks": "all",
        "compression.type": "lz4",
        "linger.ms": 5,
        "message.timeout.ms": max(1, int(delivery_timeout_s * 1000)),
        "logger": logging.getLogger("llmledger.kafka.producer"),
    }
    if max_message_bytes is not None:
        config["message.max.bytes"] = max_message_bytes
    return config


def _too_large(error: KafkaError) -> bool:
    return bool(error.code() == KafkaError.MSG_SIZE_TOO_LARGE)


class AckedProducer:
    """Wraps `confluent_kafka.Producer`; `send` blocks until the broker acknowledged."""

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        delivery_timeout_s: float = 10.0,
        max_message_bytes: int | None = None,
    ) -> None:
        self._config = producer_config(
            bootstrap_servers,
            delivery_timeout_s=delivery_timeout_s,
            max_message_bytes=max_message_bytes,
        )
        self._wait_s = delivery_timeout_s + 5.0  # librdkafka reports the timeout itself first
        self._lock = threading.Lock()
        self._producer = Producer(self._config)
        self._closed = threading.Event()
        # Delivery callbacks run inside poll(); one thread serves them for every sender.
        self._poller = threading.Thread(target=self._poll_forever, name="kafka-acks", daemon=True)
        self._poller.start()

    def send(
        self, topic: str, value: bytes, *, key: bytes | None = None, headers: Headers = ()
    ) -> None:
        """Produce one message and wait for its acknowledgement; raise `DeliveryError`."""
        acked = threading.Event()
        outcome: list[KafkaError | None] = []

        def on_delivery(error: KafkaError | None, _message: Message) -> None:
            outcome.append(error)
            acked.set()

        producer = self._producer
        try:
            producer.produce(topic, value, key=key, headers=list(headers), on_delivery=on_delivery)
        except BufferError as exc:
            raise ProducerQueueFullError("the Kafka producer queue is full") from exc
        except KafkaException as exc:
            raise DeliveryError(f"Kafka refused the message: {exc}") from exc
        if not acked.wait(self._wait_s):
            raise DeliveryError("no acknowledgement from Kafka in time")
        error = outcome[0]
        if error is not None:
            if error.fatal():
                self._replace(producer, error)
            raise DeliveryError(f"Kafka did not take the message: {error}")

    def send_all(self, topic: str, messages: Sequence[tuple[bytes | None, bytes]]) -> None:
        """Produce `(key, value)` messages and wait until every one is acknowledged.

        Raises `DeliveryError` if any was not; the others may still have been written, so a
        caller that retries the whole batch gets at-least-once (never lost, maybe twice).
        """
        if not messages:
            return
        all_acked = threading.Event()
        errors: list[KafkaError] = []
        pending = [len(messages)]

        def on_delivery(error: KafkaError | None, _message: Message) -> None:
            # Called on the poller thread only, so the countdown needs no lock.
            if error is not None:
                errors.append(error)
            pending[0] -= 1
            if pending[0] == 0:
                all_acked.set()

        producer = self._producer
        # If producing stops half-way, the pending count never reaches zero: nobody waits.
        try:
            for key, value in messages:
                producer.produce(topic, value, key=key, on_delivery=on_delivery)
        except BufferError as exc:
            raise ProducerQueueFullError("the Kafka producer queue is full") from exc
        except KafkaException as exc:
            cause = exc.args[0] if exc.args else None
            too_large = isinstance(cause, KafkaError) and _too_large(cause)
            error_type = MessageTooLargeError if too_large else DeliveryError
            raise error_type(f"Kafka refused the message: {exc}") from exc
        if not all_acked.wait(self._wait_s):
            raise DeliveryError("no acknowledgement from Kafka in time")
        if errors:
            if any(error.fatal() for error in errors):
                self._replace(producer, errors[0])
            error_type = MessageTooLargeError if any(map(_too_large, errors)) else DeliveryError
            raise error_type(
                f"Kafka did not take {len(errors)} of {len(messages)} messages: {errors[0]}"
            )

    def is_reachable(self, timeout_s: float = 2.0) -> bool:
        """Whether a broker answers a metadata request within `timeout_s`."""
        try:
            self._producer.list_topics(timeout=timeout_s)
        except KafkaException:
            return False
        return True

    def close(self, timeout_s: float = 10.0) -> None:
        """Deliver what is queued (up to `timeout_s`) and stop the callback thread."""
        self._closed.set()
        self._poller.join()
        remaining = self._producer.flush(timeout_s)
        if remaining:
            log.warning("closing the producer with %d unacknowledged messages", remaining)

    def _replace(self, broken: Producer, error: KafkaError) -> None:
        # A fatal error (e.g. an idempotence sequence gap) leaves the producer unusable.
        with self._lock:
            if self._producer is broken:
                log.error("fatal Kafka producer error, starting a new producer: %s", error)
                self._producer = Producer(self._config)

    def _poll_forever(self) -> None:
        while not self._closed.is_set():
            self._producer.poll(0.1)
