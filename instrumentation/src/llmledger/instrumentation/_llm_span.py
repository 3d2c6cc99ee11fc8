"""The span shared by every instrumented API surface: one inference call, one CLIENT span.

Surface modules (``openai/chat.py``, ``anthropic/messages.py``, ...) translate their SDK's request
and response objects into the neutral `TokenUsage` and response facts; this module alone decides how
those become span attributes, so every provider's spans read the same way downstream.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import metadata
from itertools import compress, repeat
from operator import is_not
from typing import Any, NamedTuple

from opentelemetry.trace import (
    Span,
    SpanKind,
    Status,
    StatusCode,
    Tracer,
    TracerProvider,
    get_tracer,
)
from opentelemetry.util.types import AttributeValue

from llmledger.instrumentation import attributes as attr
from llmledger.instrumentation.attribution import attribution_to_stamp

TRACER_NAME = attr.INSTRUMENTATION_SCOPE
BATCH_SERVICE_TIER = "batch"


def _package_version() -> str:
    try:
        return metadata.version("llmledger-instrumentation")
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        return "0.0.0"


def llm_tracer(tracer_provider: TracerProvider | None) -> Tracer:
    """The tracer every llmledger span comes from (its scope name marks the span as ours)."""
    return get_tracer(TRACER_NAME, _package_version(), tracer_provider)


class TokenUsage(NamedTuple):
    """Token counts in the conventions' meaning, whatever the provider's wire semantics.

    `input_tokens` includes cache reads and writes; `output_tokens` includes reasoning. None means
    the provider did not report the count (the attribute is then left off, never faked as 0).
    A named tuple, not a frozen dataclass: one is built on every call, and this builds in half
    the time.
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    cache_write_1h_tokens: int | None = None
    reasoning_tokens: int | None = None


def token_count(value: Any) -> int | None:
    """A token count from an SDK object: an int, or None when absent. Anything else is a bug."""
    if value is None or type(value) is int:  # the usual cases, checked first: this runs per count
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected a token count (int), got {value!r}")
    return int(value)


_USAGE_ATTRIBUTE_BY_FIELD = {
    "input_tokens": attr.USAGE_INPUT_TOKENS,
    "output_tokens": attr.USAGE_OUTPUT_TOKENS,
    "cache_read_tokens": attr.USAGE_CACHE_READ_INPUT_TOKENS,
    "cache_write_tokens": attr.USAGE_CACHE_WRITE_INPUT_TOKENS,
    "cache_write_1h_tokens": attr.USAGE_CACHE_WRITE_1H_INPUT_TOKENS,
    "reasoning_tokens": attr.USAGE_REASONING_OUTPUT_TOKENS,
}
assert set(_USAGE_ATTRIBUTE_BY_FIELD) == set(TokenUsage._fields)
# The attribute of each `TokenUsage` field, in field order.
_USAGE_ATTRIBUTES = tuple(_USAGE_ATTRIBUTE_BY_FIELD[name] for name in TokenUsage._fields)


class LLMSpan:
    """One inference call's span: started before the SDK call, ended exactly once.

    `returned()` marks that the SDK call itself succeeded; if such a call ends without usage
    ever being recorded (e.g. a stream closed early), the span says so with
    `llmledger.usage.missing=true` so the gap shows up in cost reports instead of vanishing.
    """

    def __init__(
        self,
        tracer: Tracer,
        *,
        provider: str,
        operation: str,
        request_model: str | None,
        stream: bool,
        batch: bool = False,
        start_time: int | None = None,
        extra_attributes: Mapping[str, AttributeValue] | None = None,
    ) -> None:
        attributes: dict[str, AttributeValue] = {
            attr.PROVIDER_NAME: provider,
            attr.OPERATION_NAME: operation,
            attr.REQUEST_STREAM: stream,
            # SDK calls are live calls; batch results arrive through `record_usage(batch=True)`,
            # or as a served tier of "batch" (see `set_response`).
            attr.IS_BATCH: batch,
        }
        if request_model:
            attributes[attr.REQUEST_MODEL] = request_model
        # Attribution goes in with the rest rather than from `AttributionSpanProcessor` after
        # the span started: one attribute write less per call, each taking the span's lock.
        attributes.update(attribution_to_stamp())
        if extra_attributes:
            attributes.update(extra_attributes)
        name = f"{operation} {request_model}" if request_model else operation
        self.span: Span = tracer.start_span(
            name, kind=SpanKind.CLIENT, attributes=attributes, start_time=start_time
        )
        self._returned = False
        self._usage_recorded = False
        self._ended = False
        # Response facts wait here and reach the span in one `set_attributes` at `end`: each
        # attribute write takes the span's lock, and this runs on every LLM call of the app.
        self._pending: dict[str, AttributeValue] = {}

    def returned(self) -> None:
        self._returned = True

    def set_response(
        self,
        model: Any = None,
        response_id: Any = None,
        service_tier: Any = None,
        provider_service_tier_attribute: str | None = None,
    ) -> None:
        """Record response facts, each only if it is a non-empty string (anything else read from
        an SDK response is not a fact we trust); `provider_service_tier_attribute` also gets the
        served tier.

        A served tier of ``batch`` (Anthropic reports it on Message Batches results) marks the
        call as batch, whatever the request said, because that is how it is billed.
        """
        pending = self._pending
        if model and type(model) is str:
            pending[attr.RESPONSE_MODEL] = model
        if response_id and type(response_id) is str:
            pending[attr.RESPONSE_ID] = response_id
        if service_tier and type(service_tier) is str:
            pending[attr.SERVICE_TIER] = service_tier
            if provider_service_tier_attribute:
                pending[provider_service_tier_attribute] = service_tier
            if service_tier == BATCH_SERVICE_TIER:
                pending[attr.IS_BATCH] = True

    def set_usage(self, usage: TokenUsage) -> None:
        # The counts that are not None, paired with their attributes, all in C: this runs on
        # every call.
        self._pending.update(
            compress(zip(_USAGE_ATTRIBUTES, usage, strict=True), map(is_not, usage, repeat(None)))
        )
        self._usage_recorded = True

    def end(
        self,
        error: BaseException | None = None,
        end_time: int | None = None,
        *,
        abandoned: bool = False,
    ) -> None:
        """End the span (idempotent), recording `error` as the call's failure if given.

        `end_time` (ns since the epoch) is for calls recorded after the fact; default now.
        `abandoned` marks a stream the app dropped unfinished.
        """
        if self._ended:
            return
        self._ended = True
        if error is not None:
            self.span.record_exception(error)
            self.span.set_attribute(attr.ERROR_TYPE, type(error).__qualname__)
            self.span.set_status(Status(StatusCode.ERROR, str(error)))
        if self._returned and not self._usage_recorded:
            self._pending[attr.USAGE_MISSING] = True
        if abandoned:
            self._pending[attr.STREAM_ABANDONED] = True
        if self._pending:
            self.span.set_attributes(self._pending)
        self.span.end(end_time=end_time)
