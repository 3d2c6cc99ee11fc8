"""Moves demo spans back to the simulated moment their call stands for.

The demo replays 30 days of history in a minute, but the warehouse must see each call on
the day it represents. The instrumented SDKs stamp spans with the wall clock; this span
processor shifts each finished span (start and end, keeping its duration) by the offset
between the wall clock and the simulated time set with `simulated_time()`, then hands the
copy to the real export pipeline. Nothing else in llmledger knows the difference.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

_simulated_ns: ContextVar[int | None] = ContextVar("llmledger_demo_simulated_ns", default=None)


@contextmanager
def simulated_time(moment: datetime) -> Iterator[None]:
    """Spans started inside this block are exported as if they started at `moment`."""
    token = _simulated_ns.set(int(moment.timestamp() * 1e9))
    try:
        yield
    finally:
        _simulated_ns.reset(token)


class TimeTravelSpanProcessor(SpanProcessor):
    """Wraps the exporting processor; spans outside `simulated_time()` pass unchanged."""

    def __init__(self, exporting: SpanProcessor) -> None:
        self._exporting = exporting
        self._offsets: dict[int, int] = {}

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        simulated = _simulated_ns.get()
        if simulated is not None:
            self._offsets[span.context.span_id] = simulated - (span.start_time or time.time_ns())
        self._exporting.on_start(span, parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        offset = self._offsets.pop(span.context.span_id, None) if span.context else None
        if offset is not None:
            span = _shifted(span, offset)
        self._exporting.on_end(span)

    def shutdown(self) -> None:
        self._exporting.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._exporting.force_flush(timeout_millis)


def _shifted(span: ReadableSpan, offset_ns: int) -> ReadableSpan:
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=span.attributes,
        events=span.events,
        links=span.links,
        kind=span.kind,
        status=span.status,
        start_time=(span.start_time or 0) + offset_ns,
        end_time=(span.end_time or 0) + offset_ns,
        instrumentation_scope=span.instrumentation_scope,
    )
