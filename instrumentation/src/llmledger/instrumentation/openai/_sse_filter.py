"""Undoing our usage request on an OpenAI stream's server-sent events before the SDK reads them.

When we ask for usage on the app's behalf (`stream_options.include_usage`), the server changes
the stream in two ways: every chunk gains ``"usage":null``, and one extra event carries usage.
Both are undone here, on the raw events, so the SDK builds exactly the chunks it would have built
without our request, and spends no time on the extra bytes or on a chunk nobody will see:

- a chunk event ending in ``,"usage":null}`` (how OpenAI writes it) loses that member, and its
  data is kept as the stream's first and last chunk (response facts are read from them);
- any other event mentioning ``"usage"`` goes to `UsageReader.on_usage`, which returns the event
  the SDK gets instead, if any (the usage event is read and dropped; a chunk spaced unlike
  OpenAI's is rewritten without its null usage).

So nothing of ours has to look at the chunks the SDK builds. The SDK's `Stream` / `AsyncStream`
read their events through `self._decoder` (`iter_bytes` / `aiter_bytes`), and only once the app
asks for the first item: a decoder swapped in as soon as `create()` returns sees every event.
Every supported SDK version (1.66 to 3.x) reads events this way; should one not, nothing is
swapped and the chat surface falls back to handling the built chunks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, Final, Protocol

from llmledger.instrumentation._safety import report_internal_error

_NULL_USAGE_TAIL: Final = ',"usage":null}'
_KEPT: Final = -len(_NULL_USAGE_TAIL)
_USAGE_KEY: Final = '"usage"'


class UsageReader(Protocol):
    first_chunk_data: str | None
    last_chunk_data: str | None

    def on_usage(self, event: Any) -> Any:
        """The event the SDK gets in place of `event`, one mentioning usage (None: nothing);
        never raises."""


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
    def __init__(self, decoder: Any, reader: UsageReader) -> None:
        self._decoder = decoder
        self._reader = reader

    def iter_bytes(self, iterator: Iterator[bytes]) -> Iterator[Any]:
        reader = self._reader
        in_place = False
        for event in self._decoder.iter_bytes(iterator):
            # Once `_data` proved to be where the event's data lives, read it without the property.
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
            elif _USAGE_KEY not in data:
                yield event
            else:
                event = reader.on_usage(event)
                if event is not None:
                    yield event

    async def aiter_bytes(self, iterator: AsyncIterator[bytes]) -> AsyncIterator[Any]:
        reader = self._reader
        in_place = False
        async for event in self._decoder.aiter_bytes(iterator):
            # Once `_data` proved to be where the event's data lives, read it without the property.
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
            elif _USAGE_KEY not in data:
                yield event
            else:
                event = reader.on_usage(event)
                if event is not None:
                    yield event


def undo_usage_request(stream: Any, reader: UsageReader) -> bool:
    """From its first event on, rewrite `stream`'s events as described above; False if this
    SDK's stream cannot be filtered.

    `stream` must not have been iterated yet (true of what `create(stream=True)` returns).
    """
    decoder = getattr(stream, "_decoder", None)
    if not (hasattr(decoder, "iter_bytes") and hasattr(decoder, "aiter_bytes")):
        return False
    stream._decoder = _UsageUndoingDecoder(decoder, reader)
    return True
