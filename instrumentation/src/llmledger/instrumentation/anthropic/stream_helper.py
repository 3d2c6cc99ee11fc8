"""Anthropic `messages.stream()`: the SDK's streaming helper, traced like `create(stream=True)`.

The helper does not go through `messages.create`: it returns a `MessageStreamManager` that sends
the request when entered and hands the app a `MessageStream`, which accumulates the raw events
into a final message (`get_final_message()`, `text_stream`, ...). We leave the objects the app
sees untouched and watch one level lower: once the manager is entered, the `MessageStream`'s raw
event stream is replaced by an observed proxy of itself, so the same usage reading as
`create(stream=True)` sees every event (cumulative `message_delta` counts included), however the
app consumes the helper. The span ends when that raw stream is exhausted or closed.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

import wrapt
from opentelemetry.trace import Tracer, use_span

from llmledger.instrumentation._call_flow import Surface
from llmledger.instrumentation._llm_span import LLMSpan
from llmledger.instrumentation._safety import never_raise, report_internal_error
from llmledger.instrumentation._stream_proxy import ObservedAsyncStream, ObservedSyncStream

# The attribute of `MessageStream` / `AsyncMessageStream` holding the SDK's raw event stream,
# read lazily by the helper's own iterator (present since the helper's first release).
_RAW_STREAM = "_raw_stream"


def _start_span(tracer: Tracer, surface: Surface, kwargs: dict[str, Any]) -> LLMSpan | None:
    try:
        call = surface.prepare({**kwargs, "stream": True})
        return LLMSpan(
            tracer,
            provider=surface.provider,
            operation=surface.operation,
            request_model=call.request_model,
            stream=True,
        )
    except Exception as error:
        report_internal_error("starting an anthropic stream helper span", error)
        return None


def _observe(message_stream: Any, llm_span: LLMSpan, surface: Surface, proxy: type[Any]) -> None:
    llm_span.returned()
    try:
        raw = getattr(message_stream, _RAW_STREAM)
        observer = surface.prepare({"stream": True}).stream_observer(llm_span, raw)
        assert observer is not None  # Anthropic streams are always observed through a proxy
        setattr(message_stream, _RAW_STREAM, proxy(raw, observer))
    except Exception as error:
        report_internal_error("observing an anthropic stream helper", error)
        with never_raise("ending a span"):
            llm_span.end()


class _TracedStreamManager(wrapt.ObjectProxy[Any]):
    """A `MessageStreamManager` whose entry starts the span and observes the raw events."""

    def __init__(self, manager: Any, tracer: Tracer, surface: Surface, kwargs: Any) -> None:
        super().__init__(manager)
        self._self_tracer = tracer
        self._self_surface = surface
        self._self_kwargs = kwargs

    def __enter__(self) -> Any:
        llm_span = _start_span(self._self_tracer, self._self_surface, self._self_kwargs)
        if llm_span is None:
            return self.__wrapped__.__enter__()
        try:
            with use_span(llm_span.span, record_exception=False, set_status_on_exception=False):
                message_stream = self.__wrapped__.__enter__()
        except BaseException as error:
            with never_raise("recording a failed call"):
                llm_span.end(error)
            raise
        _observe(message_stream, llm_span, self._self_surface, ObservedSyncStream)
        return message_stream

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> Any:
        return self.__wrapped__.__exit__(exc_type, exc, traceback)

    async def __aenter__(self) -> Any:
        llm_span = _start_span(self._self_tracer, self._self_surface, self._self_kwargs)
        if llm_span is None:
            return await self.__wrapped__.__aenter__()
        try:
            with use_span(llm_span.span, record_exception=False, set_status_on_exception=False):
                message_stream = await self.__wrapped__.__aenter__()
        except BaseException as error:
            with never_raise("recording a failed call"):
                llm_span.end(error)
            raise
        _observe(message_stream, llm_span, self._self_surface, ObservedAsyncStream)
        return message_stream

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> Any:
        return await self.__wrapped__.__aexit__(exc_type, exc, traceback)


StreamHelperWrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]


def stream_helper_wrapper(tracer: Tracer, surface: Surface) -> StreamHelperWrapper:
    """A `wrapt` wrapper for `Messages.stream` / `AsyncMessages.stream` (both plain methods)."""

    def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        manager = wrapped(*args, **kwargs)
        try:
            return _TracedStreamManager(manager, tracer, surface, kwargs)
        except Exception as error:
            report_internal_error("wrapping an anthropic stream helper", error)
            return manager

    return wrapper
