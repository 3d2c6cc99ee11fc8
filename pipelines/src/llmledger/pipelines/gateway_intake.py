"""What both receivers do with an export: authenticate, decode, split per trace, store, count.

The HTTP and gRPC layers only translate between their protocol and `ExportIntake.store`,
which either returns the number of spans Kafka acknowledged or raises `ExportRejectedError`
naming a `RejectReason` (the receivers map it to a status code and a retry delay).
"""

from __future__ import annotations

import hmac
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from llmledger.pipelines.delivery import (
    AckedProducer,
    DeliveryError,
    MessageTooLargeError,
    ProducerQueueFullError,
)
from llmledger.pipelines.gateway_metrics import GatewayMetrics, Metric, RejectReason, Transport
from llmledger.pipelines.gateway_split import split_by_trace
from llmledger.pipelines.otlp import InvalidExportError, count_spans, decode_json, decode_protobuf

log = logging.getLogger(__name__)


class Encoding(Enum):
    PROTOBUF = "protobuf"
    JSON = "json"


class ExportRejectedError(Exception):
    """The export was not stored; `reason.retryable` says whether the client should retry."""

    def __init__(self, reason: RejectReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class ExportIntake:
    """Shared by the receivers; thread-safe."""

    def __init__(
        self,
        producer: AckedProducer,
        *,
        topic: str,
        metrics: GatewayMetrics,
        token: str | None = None,
        max_inflight_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self.producer = producer
        self.topic = topic
        self.metrics = metrics
        self._expected_authorization = f"Bearer {token}".encode() if token else None
        self._max_inflight_bytes = max_inflight_bytes
        self._inflight_bytes = 0
        self._inflight_lock = threading.Lock()

    def is_authorized(self, authorization: str | None) -> bool:
        """Whether an `Authorization` header value carries the configured bearer token."""
        if self._expected_authorization is None:
            return True
        given = (authorization or "").strip().encode()
        return hmac.compare_digest(given, self._expected_authorization)  # constant time

    def reject(
        self, transport: Transport, reason: RejectReason, message: str
    ) -> ExportRejectedError:
        """Count a refusal decided by a receiver (auth, size, type) and return it to raise."""
        self.metrics.add(
            Metric.llmledger_gateway_requests_rejected_total, transport=transport, reason=reason
        )
        return ExportRejectedError(reason, message)

    def store(self, payload: bytes, encoding: Encoding, transport: Transport) -> int:
        """Decode `payload`, write one message per trace and wait for every acknowledgement.

        Returns the number of spans stored. Raises `ExportRejectedError`.
        """
        try:
            if encoding is Encoding.PROTOBUF:
                request = decode_protobuf(payload)
            else:
                request = decode_json(payload)
            # A protobuf body that decoded cleanly goes to Kafka byte-for-byte (split per trace).
            original = payload if encoding is Encoding.PROTOBUF else None
            messages = split_by_trace(request, original)
        except InvalidExportError as exc:
            raise self.reject(transport, RejectReason.MALFORMED, str(exc)) from exc
        size = sum(len(message.value) for message in messages)
        try:
            with self._inflight(size):
                self.producer.send_all(self.topic, [(m.key, m.value) for m in messages])
        except DeliveryError as exc:
            raise self._kafka_failure(request, transport, exc) from exc
        spans = sum(message.span_count for message in messages)
        self.metrics.add(Metric.llmledger_gateway_exports_accepted_total, transport=transport)
        self.metrics.add(Metric.llmledger_gateway_spans_accepted_total, spans, transport=transport)
        self.metrics.add(Metric.llmledger_gateway_kafka_messages_total, len(messages))
        self.metrics.add(Metric.llmledger_gateway_kafka_bytes_total, size)
        return spans

    @contextmanager
    def _inflight(self, size: int) -> Iterator[None]:
        # Refusing before producing anything (rather than when librdkafka's queue overflows
        # half-way through an export) means backpressure never writes part of an export.
        with self._inflight_lock:
            if self._inflight_bytes and self._inflight_bytes + size > self._max_inflight_bytes:
                raise ProducerQueueFullError("too many bytes awaiting Kafka acknowledgements")
            self._inflight_bytes += size
        self.metrics.add(Metric.llmledger_gateway_inflight_bytes, size)
        try:
            yield
        finally:
            with self._inflight_lock:
                self._inflight_bytes -= size
            self.metrics.add(Metric.llmledger_gateway_inflight_bytes, -size)

    def _kafka_failure(
        self, request: ExportTraceServiceRequest, transport: Transport, error: DeliveryError
    ) -> ExportRejectedError:
        if isinstance(error, MessageTooLargeError):
            reason, kind = RejectReason.TOO_LARGE, "too_large"
        elif isinstance(error, ProducerQueueFullError):
            reason, kind = RejectReason.KAFKA_BACKPRESSURE, "backpressure"
        else:
            reason, kind = RejectReason.KAFKA_UNAVAILABLE, "unavailable"
        log.warning("export not stored (%s, retryable: %s): %s", kind, reason.retryable, error)
        self.metrics.add(Metric.llmledger_gateway_kafka_failures_total, kind=kind)
        self.metrics.add(
            Metric.llmledger_gateway_spans_rejected_total,
            count_spans(request),
            transport=transport,
            reason=reason,
        )
        return self.reject(transport, reason, str(error))
