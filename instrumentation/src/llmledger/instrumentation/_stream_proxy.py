"""Transparent proxies for SDK streams, so a streamed call's span ends when the stream does.

The proxy forwards every attribute to the SDK's stream object (isinstance checks, `.response`,
`.close()` all keep working) and only adds bookkeeping around iteration and closing. An observer,
supplied by the API surface, sees each item and may hide items the app never asked for (the
usage-only chunk we request from OpenAI on the app's behalf).

The span ends when the stream is exhausted, fails, is closed, or, for a stream the app drops
without doing any of those, when the proxy is garbage-collected (the span then says the stream
was abandoned). Nothing of ours refers back to the proxy, so it never outlives the app's use.

Iteration runs once per streamed item, so it is kept lean: `for`/`async for` over the proxy get
a generator (resuming one costs less than a Python-level `__next__` call) that iterates the SDK
stream as the app would have, and calls the observer's bound `observe` directly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import Any, Protocol

import wrapt

from llmledger.instrumentation._safety import report_internal_error


class StreamObserver(Protocol):
    """Per-stream bookkeeping of one API surface."""

    def observe(self, item: Any) -> bool:
        """Note one stream item; return False to hide it from the app."""

    def finish(self, error: BaseException | None, *, abandoned: bool = False) -> None:
        """The stream is exhausted, closed, failed with `error`, or was `abandoned` (dropped
        unfinished by the app): record and end the span."""


class _ObservedStream(wrapt.ObjectProxy[Any]):
    # wrapt keeps attributes named `_self_*` on the proxy instead of the wrapped object. Each set
    # costs about as much as creating the proxy, so `_finished` starts as this class default.
    _self_finished = False

    def __init__(self, stream: Any, observer: StreamObserver) -> None:
        super().__init__(stream)
        self._self_observer = observer

    def _self_finish(self, error: BaseException | None, abandoned: bool = False) -> None:
        if self._self_finished:
            return
        self._self_finished = True
        try:
            self._self_observer.finish(error, abandoned=abandoned)
        except Exception as internal_error:
            report_internal_error("ending a streamed call's span", internal_error)

    def __del__(self) -> None:
        # Also runs for every finished stream, where it returns at once.
        self._self_finish(None, abandoned=True)

    def _self_keep(self, item: Any) -> bool:
        try:
            return self._self_observer.observe(item)
        except Exception as error:
            report_internal_error("observing a stream item", error)
            return True


class ObservedSyncStream(_ObservedStream):
    """A sync SDK stream (iterator and context manager) watched by a `StreamObserver`."""

    def __iter__(self) -> Iterator[Any]:
        observe = self._self_observer.observe
        try:
            for item in self.__wrapped__:
                try:
                    keep = observe(item)
                except Exception as error:
                    report_internal_error("observing a stream item", error)
                    keep = True
                if keep:
                    yield item
        except GeneratorExit:  # the app stopped iterating; the stream may still be resumed
            raise
        except BaseException as error:
            self._self_finish(error)
            raise
        self._self_finish(None)

    def __next__(self) -> Any:
        stream = self.__wrapped__
        while True:
            try:
                item = next(stream)
            except StopIteration:
                self._self_finish(None)
                raise
            except BaseException as error:
                self._self_finish(error)
                raise
            if self._self_keep(item):
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

    async def __aiter__(self) -> AsyncIterator[Any]:
        observe = self._self_observer.observe
        try:
            async for item in self.__wrapped__:
                try:
                    keep = observe(item)
                except Exception as error:
                    report_internal_error("observing a stream item", error)
                    keep = True
                if keep:
                    yield item
        except GeneratorExit:
            raise
        except BaseException as error:
            self._self_finish(error)
            raise
        self._self_finish(None)

    async def __anext__(self) -> Any:
        stream = self.__wrapped__
        while True:
            try:
                item = await stream.__anext__()
            except StopAsyncIteration:
                self._self_finish(None)
                raise
            except BaseException as error:
                self._self_finish(error)
                raise
            if self._self_keep(item):
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
