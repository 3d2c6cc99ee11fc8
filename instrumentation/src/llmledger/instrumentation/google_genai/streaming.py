"""Observed Gemini streams, as generators: the SDK's own streams are generators, and a generator
wrapper ends the span however the app stops consuming, even when it simply drops the stream
(CPython closes an abandoned generator, which runs our `finally`; asyncio does the same for async
generators), so an abandoned stream still yields a span marked usage-missing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

from opentelemetry.trace import Tracer, use_span

from llmledger.instrumentation._call_flow import Surface
from llmledger.instrumentation._llm_span import LLMSpan
from llmledger.instrumentation._safety import never_raise, report_internal_error
from llmledger.instrumentation._stream_proxy import StreamObserver

Wrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]


def _start(tracer: Tracer, surface: Surface, kwargs: dict[str, Any]) -> tuple[Any, LLMSpan]:
    call = surface.prepare(kwargs)
    llm_span = LLMSpan(
        tracer,
        provider=surface.provider,
        operation=surface.operation,
        request_model=call.request_model,
        stream=True,
    )
    return call, llm_span


def _fail(llm_span: LLMSpan, error: BaseException) -> None:
    with never_raise("recording a failed call"):
        llm_span.end(error)


def _observe(observer: StreamObserver, chunk: Any) -> None:
    with never_raise("observing a stream item"):
        observer.observe(chunk)


def _finish(observer: StreamObserver, error: BaseException | None) -> None:
    # Closing an unfinished stream (GeneratorExit) is the app's choice, not a failed call.
    failure = None if isinstance(error, GeneratorExit) else error
    with never_raise("ending a streamed call's span"):
        observer.finish(failure)


def _observed(chunks: Iterator[Any], observer: StreamObserver) -> Iterator[Any]:
    error: BaseException | None = None
    try:
        for chunk in chunks:
            _observe(observer, chunk)
            yield chunk
    except BaseException as raised:
        error = raised
        raise
    finally:
        _finish(observer, error)


async def _observed_async(
    chunks: AsyncIterator[Any], observer: StreamObserver
) -> AsyncIterator[Any]:
    error: BaseException | None = None
    try:
        async for chunk in chunks:
            _observe(observer, chunk)
            yield chunk
    except BaseException as raised:
        error = raised
        raise
    finally:
        _finish(observer, error)


def sync_stream_wrapper(tracer: Tracer, surface: Surface) -> Wrapper:
    """A `wrapt` wrapper for `Models._generate_content_stream` (a generator method)."""

    def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        try:
            call, llm_span = _start(tracer, surface, kwargs)
        except Exception as error:
            report_internal_error("starting a Gemini stream span", error)
            return wrapped(*args, **kwargs)
        try:
            with use_span(llm_span.span, record_exception=False, set_status_on_exception=False):
                chunks = wrapped(*args, **kwargs)
        except BaseException as error:
            _fail(llm_span, error)
            raise
        llm_span.returned()
        return _observed(chunks, call.stream_observer(llm_span, chunks))

    return wrapper


def async_stream_wrapper(tracer: Tracer, surface: Surface) -> Wrapper:
    """A `wrapt` wrapper for `AsyncModels._generate_content_stream` (awaitable async iterator)."""

    async def wrapper(
        wrapped: Callable[..., Awaitable[Any]],
        instance: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        try:
            call, llm_span = _start(tracer, surface, kwargs)
        except Exception as error:
            report_internal_error("starting a Gemini stream span", error)
            return await wrapped(*args, **kwargs)
        try:
            with use_span(llm_span.span, record_exception=False, set_status_on_exception=False):
                chunks = await wrapped(*args, **kwargs)
        except BaseException as error:
            _fail(llm_span, error)
            raise
        llm_span.returned()
        return _observed_async(chunks, call.stream_observer(llm_span, chunks))

    return wrapper
