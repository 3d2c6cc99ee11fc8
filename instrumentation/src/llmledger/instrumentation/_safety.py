"""Keep llmledger's own failures out of the instrumented application.

Instrumentation runs inside every LLM call of the app, so a bug or an unexpected SDK response
shape on our side must cost at most a log line, never a failed call.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

logger = logging.getLogger("llmledger.instrumentation")

# Places whose failure was already logged at WARNING; repeats go to DEBUG so a systematic
# problem (say, a new SDK response shape) does not flood the app's logs on every call.
_reported_places: set[str] = set()


def report_internal_error(place: str, error: BaseException) -> None:
    """Log a failure of llmledger's own code: once at WARNING per place, then at DEBUG."""
    if place in _reported_places:
        logger.debug("llmledger instrumentation failed again in %s: %r", place, error)
        return
    _reported_places.add(place)
    logger.warning(
        "llmledger instrumentation failed in %s (the LLM call itself is unaffected; "
        "further failures here are logged at DEBUG)",
        place,
        exc_info=error,
    )


@contextmanager
def never_raise(place: str) -> Iterator[None]:
    """Run a block of our own code, reporting instead of propagating any exception."""
    try:
        yield
    except Exception as error:
        report_internal_error(place, error)
