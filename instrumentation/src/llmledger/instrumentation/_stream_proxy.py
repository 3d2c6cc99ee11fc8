"""Transparent proxies for SDK streams, so a streamed call's span ends when the stream does.

The proxy forwards every attribute to the SDK's stream object (isinstance checks, `.response`,
`.close()` all keep working) and only adds bookkeeping around iteration and closing. An observer,
supplied by the API surface, sees each item and may hide items the app never asked for (the
usage-only chunk we request from OpenAI on the app's behalf).

`__next__`/`__anext__` run once per streamed chunk, so they call the observer directly (its
bound `observe` kept on the proxy) rather than through helper methods.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Protocol

import wrapt

from llmledger.instrumentation._safety import report_internal_error


class StreamObserver(Protocol):
    """Per-stream bookkeeping of one API surface."""

    def observe(self, item: Any) -> bool:
        """Note one stream item; return False to hide it from the app."""

    def finish(self, error: BaseException | None) -> None:
        """The stream is exhausted, closed, or failed with `error`: record and end the span."""


class _ObservedStream(wrapt.ObjectProxy[Any]):
    def __init__(self, stream: Any, observer: StreamObserver) -> None:
        super().__init__(stream)
        # wrapt stores attributes named `_self_*` on the proxy instead of the wrapped object.
        self._self_observer = observer
        self._self_observe = observer.observe
        self._self_finished = False

    def _self_finish(self, error: BaseException | None) -> None:
        if self._self_finished:
            return
        self._self_finished = True
        try:
            self._self_observer.finish(error)
        except Exception as internal_error:
            report_internal_error("ending a streamed call's span", internal_error)


class ObservedSyncStream(_ObservedStream):
    """A sync SDK stream (iterator and context manager) watched by a `StreamObserver`."""

    def __iter__(self) -> ObservedSyncStream:
        return self

    def __next__(self) -> Any:
        stream = self.__wrapped__
        observe = self._self_observe
        while True:
            try:
                item = next(stream)
            except StopIteration:
                self._self_finish(None)
                raise
            except BaseException as error:
                self._self_finish(error)
                raise
            try:
                if observe(item):
                    return item
            except Exception as error:
                report_internal_error("observing a stream item", error)
                return item

    def __enter__(self) -> ObservedSyncStream:
        self.__wrapped__.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> Any:
        try:
            return self.__wrapped__.__exit__(exc_type, exc, traceback)
        finally:
            self._self_finish(None)

    def close(self) -> None:
        try:
            self.__wrapped__.close()
        finally:
            self._self_finish(None)


class ObservedAsyncStream(_ObservedStream):
    """An async SDK stream (async iterator and async context manager) watched by an observer."""

    def __aiter__(self) -> ObservedAsyncStream:
        return self

    async def __anext__(self) -> Any:
        stream = self.__wrapped__
        observe = self._self_observe
        while True:
            try:
                item = await stream.__anext__()
            except StopAsyncIteration:
                self._self_finish(None)
                raise
            except BaseException as error:
                self._self_finish(error)
                raise
            try:
                if observe(item):
                    return item
            except Exception as error:
                report_internal_error("observing a stream item", error)
                return item

    async def __aenter__(self) -> ObservedAsyncStream:
        await self.__wrapped__.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> Any:
        try:
            return await self.__wrapped__.__aexit__(exc_type, exc, traceback)
        finally:
            self._self_finish(None)

    async def close(self) -> None:
        try:
            await self.__wrapped__.close()
        finally:
            self._self_finish(None)
