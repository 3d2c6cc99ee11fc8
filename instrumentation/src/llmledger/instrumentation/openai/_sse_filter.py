"""Undoing our usage request on an OpenAI stream's server-sent events before the SDK reads them,
and ending the call's span from those events, so the app iterates the SDK's own stream object.

When we ask for usage on the app's behalf (`stream_options.include_usage`), the server changes
the stream in two ways: every chunk gains ``"usage":null``, and one extra event carries usage.
Both are undone here, on the raw events, so the SDK builds exactly the chunks it would have built
without our request, and spends no time building a chunk nobody will see:

- a chunk event ending in ``,"usage":null}`` (how OpenAI writes it) loses that member, and its
  data is kept as the stream's first and last chunk (response facts are read from them);
- any other event goes to `EventReader.on_event`, which returns the event the SDK gets instead,
  if any (the usage event is read and dropped), and ends the span at ``[DONE]`` or at an event
  the SDK fails on.

The span also ends when the events run out or fail, when the app closes the stream (the SDK's
`close()` is patched: `ends_span_on_close`), and, for a stream the app drops unfinished, when
the stream is garbage-collected (the decoder's `__del__`; the span then says it was abandoned).
The SDK's stream refers to itself (through its iterator), so that is when the cyclic garbage
collector frees it, not the moment the app lets go of it; a stream still held at interpreter exit
ends its span before the tracer provider shuts down (`_spans_open_at_exit`).

The SDK's `Stream` / `AsyncStream` read their events through `self._decoder` (`iter_bytes` /
`aiter_bytes`), and only once the app asks for the first item: a decoder swapped in as soon as
`create()` returns sees every event. Every supported SDK version (1.66 to 3.x) reads events this
way; should one not, nothing is swapped and the chat surface watches the built chunks instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Final, Protocol

from llmledger.instrumentation._safety import report_internal_error

_NULL_USAGE_TAIL: Final = ',"usage":null}'
_KEPT: Final = -len(_NULL_USAGE_TAIL)


class EventReader(Protocol):
    first_chunk_data: str | None
    last_chunk_data: str | None

    def on_event(self, event: Any) -> Any:
        """The event the SDK gets in place of `event`, any event but a chunk ending in null
        usage (None: nothing); never raises."""

    def finish(self, error: BaseException | None, *, abandoned: bool = False) -> None:
        """End the span, the first time only; never raises."""


def _set_in_place(event: Any, data: str) -> bool:
    """Give `event` (a `ServerSentEvent`) `data` as its own, if its class allows; never raises."""
    try:
        # Its data lives in `_data` in every supported SDK version: cheaper than a new event.
        event._data = data
        return event.data is data
    except AttributeError:
        return False


def with_data(event: Any, data: str) -> Any:
    """`event` with `data` in place of its own: the same event, or a new one; never raises."""
    if _set_in_place(event, data):
        return event
    try:
        return type(event)(event=event.event, data=data, id=event.id, retry=event.retry)
    except Exception as error:  # the SDK then builds the chunk as sent: `"usage": None` on it
        report_internal_error("rewriting a streamed chat event", error)
        return event


class _UsageUndoingDecoder:
    # The loops run once per event of every stream we asked usage for, so the common case, a
    # chunk to cut, is handled inline once the first one showed its data can be set in place.
    __slots__ = ("_decoder", "reader")

    def __init__(self, decoder: Any, reader: EventReader) -> None:
        self._decoder = decoder
        self.reader = reader

    def __del__(self) -> None:
        # Only the stream refers to this decoder: the stream is gone. If nothing ended the span
        # before (end, error, close), the app dropped the stream unfinished.
        self.reader.finish(None, abandoned=True)

    def iter_bytes(self, iterator: Iterator[bytes]) -> Iterator[Any]:
        reader = self.reader
        in_place = False
        try:
            for event in self._decoder.iter_bytes(iterator):
                # Once `_data` proved to hold the event's data, read it without the property.
                data = event._data if in_place else event.data
                if data.endswith(_NULL_USAGE_TAIL):
                    data = data[:_KEPT] + "}"
                    reader.last_chunk_data = data
                    if in_place:
                        event._data = data
                    else:
                        if reader.first_chunk_data is None:
                            reader.first_chunk_data = data
                        in_place = _set_in_place(event, data)
                        if not in_place:
                            event = with_data(event, data)
                    yield event
                else:
                    event = reader.on_event(event)
                    if event is not None:
                        yield event
        except GeneratorExit:  # closed by the SDK after [DONE], or collected with the stream
            raise
        except BaseException as error:
            reader.finish(error)
            raise
        reader.finish(None)

    async def aiter_bytes(self, iterator: AsyncIterator[bytes]) -> AsyncIterator[Any]:
        reader = self.reader
        in_place = False
        try:
            async for event in self._decoder.aiter_bytes(iterator):
                data = event._data if in_place else event.data
                if data.endswith(_NULL_USAGE_TAIL):
                    data = data[:_KEPT] + "}"
                    reader.last_chunk_data = data
                    if in_place:
                        event._data = data
                    else:
                        if reader.first_chunk_data is None:
                            reader.first_chunk_data = data
                        in_place = _set_in_place(event, data)
                        if not in_place:
                            event = with_data(event, data)
                    yield event
                else:
                    event = reader.on_event(event)
                    if event is not None:
                        yield event
        except GeneratorExit:
            raise
        except BaseException as error:
            reader.finish(error)
            raise
        reader.finish(None)


def undo_usage_request(stream: Any, reader: EventReader) -> bool:
    """From its first event on, rewrite `stream`'s events as described above and let `reader`
    end the span; False if this SDK's stream cannot be filtered.

    `stream` must not have been iterated yet (true of what `create(stream=True)` returns).
    """
    decoder = getattr(stream, "_decoder", None)
    if not (hasattr(decoder, "iter_bytes") and hasattr(decoder, "aiter_bytes")):
        return False
    stream._decoder = _UsageUndoingDecoder(decoder, reader)
    return True


def _finish_on_close(stream: Any) -> None:
    decoder = getattr(stream, "_decoder", None)
    if type(decoder) is _UsageUndoingDecoder:
        decoder.reader.finish(None)


def _close(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
    try:
        return wrapped(*args, **kwargs)
    finally:
        _finish_on_close(instance)


async def _async_close(
    wrapped: Callable[..., Awaitable[Any]], instance: Any, args: Any, kwargs: Any
) -> Any:
    try:
        return await wrapped(*args, **kwargs)
    finally:
        _finish_on_close(instance)


def ends_span_on_close(*_: Any) -> Any:
    """The `wrapt` wrapper (a `MethodPatch.wrapper_factory`) of `Stream.close`, also behind
    `with stream:`: the span of a stream whose events we read ends when the app closes it."""
    return _close


def ends_span_on_async_close(*_: Any) -> Any:
    """`ends_span_on_close` for `AsyncStream.close` (also behind `aclose()`, `async with`)."""
    return _async_close
