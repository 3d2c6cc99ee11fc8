"""The gateway's counters, served as Prometheus text at `GET /metrics`.

The closed list of metrics (every name the gateway can ever expose):

- `llmledger_gateway_requests_total{transport}`: export requests received, whatever the outcome.
- `llmledger_gateway_exports_accepted_total{transport}`: exports Kafka fully acknowledged,
  answered with success.
- `llmledger_gateway_spans_accepted_total{transport}`: spans in those exports.
- `llmledger_gateway_requests_rejected_total{transport,reason}`: exports answered with an
  error; `reason` is one of `RejectReason` (malformed, too_large, unauthenticated, ...).
- `llmledger_gateway_spans_rejected_total{transport,reason}`: spans of well-formed exports
  that Kafka did not take; a malformed export's spans cannot be counted.
- `llmledger_gateway_kafka_messages_total`: per-trace Kafka messages acknowledged.
- `llmledger_gateway_kafka_bytes_total`: bytes of those messages (before compression).
- `llmledger_gateway_kafka_failures_total{kind}`: exports Kafka did not take, by `kind`
  (`unavailable`: not acknowledged in time or refused; `backpressure`: too many bytes
  awaiting acks or librdkafka's queue full; `too_large`: a message over Kafka's size limit).
- `llmledger_gateway_inflight_bytes`: gauge, bytes produced and awaiting acknowledgement.

Labels: `transport` is `http` or `grpc`.
"""

from __future__ import annotations

import threading
from enum import Enum, StrEnum


class Transport(StrEnum):
    HTTP = "http"
    GRPC = "grpc"


class RejectReason(StrEnum):
    """Why an export was refused; `retryable` ones ask the exporter to send it again."""

    MALFORMED = "malformed"
    TOO_LARGE = "too_large"
    UNAUTHENTICATED = "unauthenticated"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    KAFKA_UNAVAILABLE = "kafka_unavailable"
    KAFKA_BACKPRESSURE = "kafka_backpressure"

    @property
    def retryable(self) -> bool:
        return self in (RejectReason.KAFKA_UNAVAILABLE, RejectReason.KAFKA_BACKPRESSURE)


class Metric(Enum):
    """(Prometheus type, help text) of each metric; the member name is the metric name."""

    llmledger_gateway_requests_total = ("counter", "Export requests received.")
    llmledger_gateway_exports_accepted_total = ("counter", "Exports acknowledged by Kafka.")
    llmledger_gateway_spans_accepted_total = ("counter", "Spans in accepted exports.")
    llmledger_gateway_requests_rejected_total = ("counter", "Exports answered with an error.")
    llmledger_gateway_spans_rejected_total = ("counter", "Spans of refused valid exports.")
    llmledger_gateway_kafka_messages_total = ("counter", "Kafka messages acknowledged.")
    llmledger_gateway_kafka_bytes_total = ("counter", "Bytes of acknowledged messages.")
    llmledger_gateway_kafka_failures_total = ("counter", "Exports Kafka did not take.")
    llmledger_gateway_inflight_bytes = ("gauge", "Bytes awaiting a Kafka acknowledgement.")


_Labels = tuple[tuple[str, str], ...]


class GatewayMetrics:
    """Thread-safe counters and gauges keyed by metric and label values."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[tuple[Metric, _Labels], float] = {}

    def add(self, metric: Metric, amount: float = 1, **labels: str) -> None:
        key = (metric, tuple(sorted(labels.items())))
        with self._lock:
            self._values[key] = self._values.get(key, 0) + amount

    def value(self, metric: Metric, **labels: str) -> float:
        """The current value (0 if never counted); for tests and status reports."""
        with self._lock:
            return self._values.get((metric, tuple(sorted(labels.items()))), 0)

    def render(self) -> str:
        """Prometheus text exposition format 0.0.4."""
        with self._lock:
            snapshot = dict(self._values)
        lines = []
        for metric in Metric:
            kind, help_text = metric.value
            lines += [f"# HELP {metric.name} {help_text}", f"# TYPE {metric.name} {kind}"]
            series = sorted((labels, v) for (m, labels), v in snapshot.items() if m is metric)
            if not series and kind == "gauge":
                series = [((), 0)]
            for labels, value in series:
                label_text = ",".join(f'{name}="{text}"' for name, text in labels)
                selector = f"{metric.name}{{{label_text}}}" if labels else metric.name
                lines.append(f"{selector} {_number(value)}")
        return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    # Counters stay integers in the text ("1000000", not "1e+06").
    return str(int(value)) if float(value).is_integer() else repr(float(value))
