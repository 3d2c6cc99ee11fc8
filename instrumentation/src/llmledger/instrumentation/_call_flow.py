"""The life of one instrumented SDK call, shared by every API surface.

start span -> call the SDK (span current, so HTTP-level spans nest under it) -> on error record it
and re-raise the SDK's exception untouched -> on success record the response, or hand a stream to
an observed proxy that ends the span later (or to the app as it is, when the surface made the
stream end the span itself). Every step of ours is guarded: if llmledger fails, the app still
gets exactly what the SDK returned.

This runs around every LLM call of the app, so it avoids per-call conveniences that cost
microseconds each (generator-based context managers such as `use_span` or `never_raise`):
plain `try` blocks do the same job at a fraction of the cost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from opentelemetry.context import attach, detach
from opentelemetry.trace import Tracer, set_span_in_context

from llmledger.instrumentation._llm_span import LLMSpan
from llmledger.instrumentation._safety import report_internal_error
from llmledger.instrumentation._stream_proxy import (
    ObservedAsyncStream,
    ObservedSyncStream,
    StreamObserver,
)

SyncWrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]
AsyncWrapper = Callable[
    [Callable[..., Awaitable[Any]], Any, tuple[Any, ...], dict[str, Any]], Awaitable[Any]
]


class PreparedCall(Protocol):
    """One SDK call as a surface module understood it, before it is sent."""

    request_model: str | None
    stream: bool
    kwargs: dict[str, Any]  # what is actually sent; may add e.g. stream_options.include_usage

    def record_response(self, llm_span: LLMSpan, response: Any) -> None: ...

    def stream_observer(self, llm_span: LLMSpan, stream: Any) -> StreamObserver | None:
        """The observer of `stream`, the SDK's stream object before anything iterated it; None
        if `stream` itself was made to end the span (the app then gets it unwrapped)."""


@dataclass(frozen=True, slots=True)
class Surface:
    """One instrumented SDK method family, e.g. OpenAI chat completions."""

    provider: str
    operation: str
    prepare: Callable[[dict[str, Any]], PreparedCall]


def _start(
    tracer: Tracer, surface: Surface, kwargs: dict[str, Any]
) -> tuple[PreparedCall, LLMSpan]:
    call = surface.prepare(kwargs)
    llm_span = LLMSpan(
        tracer,
        provider=surface.provider,
        operation=surface.operation,
        request_model=call.request_model,
        stream=call.stream,
    )
    return call, llm_span


def _fail(llm_span: LLMSpan, error: BaseException) -> None:
    try:
        llm_span.end(error)
    except Exception as internal_error:
        report_internal_error("recording a failed call", internal_error)


def _finish(call: PreparedCall, llm_span: LLMSpan, result: Any, *, is_async: bool) -> Any:
    llm_span.returned()
    stream_protocol = "__anext__" if is_async else "__next__"
    if call.stream and hasattr(type(result), stream_protocol):
        try:
            observer = call.stream_observer(llm_span, result)
            if observer is None:
                return result
            proxy = ObservedAsyncStream if is_async else ObservedSyncStream
            return proxy(result, observer)
        except Exception as error:
            report_internal_error("wrapping a stream", error)
    try:
        call.record_response(llm_span, result)
    except Exception as error:
        report_internal_error("recording a response", error)
    try:
        llm_span.end()
    except Exception as error:
        report_internal_error("ending a span", error)
    return result


def sync_wrapper(tracer: Tracer, surface: Surface) -> SyncWrapper:
    """A `wrapt` wrapper tracing a sync SDK method of `surface`."""

    def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        try:
            call, llm_span = _start(tracer, surface, kwargs)
        except Exception as error:
            report_internal_error(f"starting a {surface.provider} span", error)
            return wrapped(*args, **kwargs)
        try:
            # The span is current during the call, so HTTP-level spans nest under it.
            token = attach(set_span_in_context(llm_span.span))
            try:
                result = wrapped(*args, **call.kwargs)
            finally:
                detach(token)
        except BaseException as error:
            _fail(llm_span, error)
            raise
        return _finish(call, llm_span, result, is_async=False)

    return wrapper


def async_wrapper(tracer: Tracer, surface: Surface) -> AsyncWrapper:
    """A `wrapt` wrapper tracing an async SDK method of `surface`."""

    async def wrapper(
        wrapped: Callable[..., Awaitable[Any]],
        instance: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        try:
            call, llm_span = _start(tracer, surface, kwargs)
        except Exception as error:
            report_internal_error(f"starting a {surface.provider} span", error)
            return await wrapped(*args, **kwargs)
        try:
            token = attach(set_span_in_context(llm_span.span))
            try:
                result = await wrapped(*args, **call.kwargs)
            finally:
                detach(token)
        except BaseException as error:
            _fail(llm_span, error)
            raise
        return _finish(call, llm_span, result, is_async=True)

    return wrapper
