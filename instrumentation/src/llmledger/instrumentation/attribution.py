"""Who and what an LLM call is for: feature, team, user and session, carried as W3C baggage.

Values live in OpenTelemetry baggage under the same keys they get on spans, so any service that
propagates W3C context (`traceparent` + `baggage` headers, the default propagators) hands them on
to the services it calls. `attribution_to_stamp` turns them into span attributes: llmledger's
spans get them as they are created, other instrumentations' LLM spans from
`AttributionSpanProcessor`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from contextvars import Token
from types import MappingProxyType, TracebackType
from typing import Any, TypeVar, cast

from opentelemetry import baggage, context
from opentelemetry.context import Context

from llmledger.instrumentation import attributes as attr
from llmledger.instrumentation.privacy import configured_key, hash_user_id

F = TypeVar("F", bound=Callable[..., Any])


# The last stamp made, with the baggage entries and the HMAC key it was made from: an app's calls
# mostly run under the same few `attribute(...)` values, so most calls reuse it.
_last_stamp: tuple[dict[str, object], bytes | None, dict[str, str]] = ({}, None, {})
_NO_STAMP: Mapping[str, str] = MappingProxyType({})


def attribution_to_stamp(ctx: Context | None = None) -> Mapping[str, str]:
    """The attribution in `ctx`'s baggage (default: the current context) as span attributes.

    The one way attribution reaches a span: the user id comes out hashed when `configure` set a
    key (`privacy.configured_key`), so no span ever carries it raw. Runs on every LLM call, hence
    the reuse of the last stamp (callers must not change what they get).
    """
    global _last_stamp
    entries = baggage.get_all(ctx)
    if not entries:
        return _NO_STAMP
    hmac_key = configured_key()
    last_entries, last_key, last = _last_stamp
    if last_key is hmac_key and last_entries == entries:  # compared by value, in C
        return last
    stamp = _stamp(entries, hmac_key)
    _last_stamp = (dict(entries), hmac_key, stamp)  # one assignment: threads see old or new
    return stamp


def _stamp(entries: Mapping[str, object], hmac_key: bytes | None) -> dict[str, str]:
    stamp = {key: str(entries[key]) for key in attr.ATTRIBUTION_KEYS if key in entries}
    user_id = stamp.get(attr.USER_ID)
    if user_id is not None and hmac_key is not None:
        stamp[attr.USER_ID] = hash_user_id(user_id, hmac_key)
    return stamp


class attribute:  # noqa: N801  (lower case: used like `contextlib.suppress`, as `with`/`@`)
    """Attribute the LLM calls made inside a block or function to a feature/team/user/session.

    Usable as ``with attribute(feature="search"):`` and as ``@attribute(team="growth")`` on sync
    and async functions. Only the given keys are set; nested uses override just those and the
    outer values come back on exit. Values must be strings (they travel in HTTP headers).
    """

    def __init__(
        self,
        feature: str | None = None,
        team: str | None = None,
        user_id: str | None = None,
        session_id: str | None = None,
    ) -> None:
        given = {
            attr.FEATURE: feature,
            attr.TEAM: team,
            attr.USER_ID: user_id,
            attr.CONVERSATION_ID: session_id,
        }
        for key, value in given.items():
            if value is not None and not isinstance(value, str):
                raise TypeError(f"attribute(): {key} must be a str or None, got {value!r}")
        self._values = {key: value for key, value in given.items() if value is not None}
        # A stack, so one instance can be entered again while already active (e.g. recursion).
        self._tokens: list[Token[Context]] = []

    def _attach(self) -> Token[Context]:
        ctx = context.get_current()
        for key, value in self._values.items():
            ctx = baggage.set_baggage(key, value, ctx)
        return context.attach(ctx)

    def __enter__(self) -> attribute:
        self._tokens.append(self._attach())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        context.detach(self._tokens.pop())

    def __call__(self, function: F) -> F:
        if inspect.isgeneratorfunction(function) or inspect.isasyncgenfunction(function):
            # The body of a generator runs after the call returns, outside any context we set.
            raise TypeError(
                f"attribute() cannot decorate the generator {function.__qualname__}; "
                "use `with attribute(...):` inside it instead"
            )
        # Each call attaches its own context: a decorated function may run in many threads or
        # tasks at once, so the instance-level token stack is not used here.
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def async_attributed(*args: Any, **kwargs: Any) -> Any:
                token = self._attach()
                try:
                    return await function(*args, **kwargs)
                finally:
                    context.detach(token)

            return cast(F, async_attributed)

        @functools.wraps(function)
        def attributed(*args: Any, **kwargs: Any) -> Any:
            token = self._attach()
            try:
                return function(*args, **kwargs)
            finally:
                context.detach(token)

        return cast(F, attributed)
