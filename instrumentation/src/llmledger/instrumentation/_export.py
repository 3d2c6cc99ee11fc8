"""Export that stays quiet when the collector is down: one warning per outage, not one per batch.

The OTLP exporter retries and logs every failed batch (a warning per retry, an error per batch),
which would fill an app's logs during a collector outage even though the app is unaffected.
`OutageReportingExporter` replaces that with a single llmledger warning when exports start
failing and an INFO line when they recover; the OTLP trace exporter's own log records are muted
(its logger serves only trace exporters such as ours).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from llmledger.instrumentation._safety import logger

_OTLP_TRACE_EXPORTER_LOGGER = "opentelemetry.exporter.otlp.proto.http.trace_exporter"


class _MuteExportFailures(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False


_MUTE = _MuteExportFailures()


class OutageReportingExporter(SpanExporter):
    """Wraps a span exporter, reporting failures once per outage instead of once per batch."""

    def __init__(self, inner: SpanExporter, destination: str) -> None:
        self._inner = inner
        self._destination = destination
        self._failing = False
        exporter_logger = logging.getLogger(_OTLP_TRACE_EXPORTER_LOGGER)
        if _MUTE not in exporter_logger.filters:
            exporter_logger.addFilter(_MUTE)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self._inner.export(spans)
        except Exception as error:  # an exporter should not raise; be safe if one does
            logger.debug("span export raised", exc_info=error)
            result = SpanExportResult.FAILURE
        if result is SpanExportResult.SUCCESS:
            if self._failing:
                self._failing = False
                logger.info("llmledger: span export to %s works again", self._destination)
        elif not self._failing:
            self._failing = True
            logger.warning(
                "llmledger: cannot export spans to %s; LLM calls are unaffected, and their spans "
                "are dropped until it is reachable again (this is logged once per outage)",
                self._destination,
            )
        return result

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)
