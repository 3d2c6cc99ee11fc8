"""Ending, before the process exits, the spans of streams the app still holds unfinished.

A stream that ends its own span (OpenAI chat streams whose events we read, `openai/_sse_filter`)
ends it, when dropped unfinished, only once the garbage collector frees the stream. A stream
still referenced at interpreter exit is freed after OpenTelemetry's exit handler has shut the
tracer provider down, which drops the span. So such a stream's reader stays in `OPEN` while its
span is open, and an `atexit` handler ends what is left: abandoned, and usage-missing unless
usage arrived.

`atexit` runs the last-registered handler first, and the SDK's `TracerProvider` registers its
shutdown when it is created. `run_before_provider_shutdown()` re-registers ours at every
`instrument()`, so ours runs before the shutdown of every provider created before that, as
providers are when set up first and instrumented after (`configure()`,
`opentelemetry-instrument`, `instrument(tracer_provider=...)`).
"""

from __future__ import annotations

import atexit
from typing import Protocol


class StreamSpanEnder(Protocol):
    def finish(self, error: BaseException | None, *, abandoned: bool = False) -> None:
        """End the span, the first time only; never raises."""


# A plain set, not a WeakSet: adding and discarding are then one C call each on every stream.
# The enders hold the span, never the stream, and each leaves the set when its span ends.
OPEN: set[StreamSpanEnder] = set()


def end_open_spans() -> None:
    """End the span of every stream still open, as abandoned."""
    for ender in list(OPEN):  # each leaves `OPEN` as it ends
        ender.finish(None, abandoned=True)


def run_before_provider_shutdown() -> None:
    atexit.unregister(end_open_spans)
    atexit.register(end_open_spans)
