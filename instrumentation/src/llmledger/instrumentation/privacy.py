"""Pseudonymous user ids: replace each user id by a keyed hash before it leaves the process.

With a secret key configured (``configure(user_id_hmac_key=...)`` or the environment variable
``LLMLEDGER_USER_ID_HMAC_KEY``), every user id becomes ``hmac-sha256:<64 hex digits>``, the
HMAC-SHA256 of the id under that key. The same id always maps to the same value, so per-user
costs still add up, while the raw id never reaches the collector, the lake or another service.
Whoever holds the key can recompute the hash of a known id (to look a user up); nobody else can.

Where the hashing happens (all set up by `configure`, none on the path of a call without a user
id):

- Attribution stamped from baggage (`attribution.attribution_to_stamp`, on llmledger's spans as
  they are created and on other LLM spans by `AttributionSpanProcessor`) carries the hash from
  the start, under the key `configure` made `configured_key()`.
- `UserIdHashingSpanProcessor`, added right after `AttributionSpanProcessor`, rewrites the user
  ids set explicitly at span start: by other instrumentations (OpenLLMetry's association
  properties) and by `record_usage(user_id=...)`.
- `UserIdHashingPropagator` wraps the global propagator, so the ``baggage`` header sent to other
  services carries the hash too.

Hashing is idempotent: a value already in hashed form (e.g. from an upstream service with the
same key) is kept, never hashed twice. A user id an app sets on a span after it started is
outside both hooks; set it through `attribute(user_id=...)` instead.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Set
from typing import Final

from opentelemetry import baggage
from opentelemetry.context import Context, get_current
from opentelemetry.propagators.textmap import (
    CarrierT,
    Getter,
    Setter,
    TextMapPropagator,
    default_getter,
    default_setter,
)
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from llmledger.instrumentation import attributes as attr
from llmledger.instrumentation._safety import report_internal_error

HMAC_KEY_ENV: Final = "LLMLEDGER_USER_ID_HMAC_KEY"
HASHED_PREFIX: Final = "hmac-sha256:"
# Span attributes holding a user id: ours (= the OTel registry's) and OpenLLMetry's.
USER_ID_ATTRIBUTES: Final = (
    attr.USER_ID,
    "traceloop.association.properties.user_id",
    "traceloop.association.properties.customer_id",
)


_configured_key: bytes | None = None


def configure_key(key: bytes | None) -> None:
    """Make `key` the one attribution stamping hashes user ids with (None: keep them raw)."""
    global _configured_key
    _configured_key = key


def configured_key() -> bytes | None:
    """The key set by `configure_key`, if any."""
    return _configured_key


def hmac_key_from(key: str | bytes | None) -> bytes | None:
    """The HMAC key to use: `key` if given, else ``$LLMLEDGER_USER_ID_HMAC_KEY``, else None."""
    if key is None:
        key = os.environ.get(HMAC_KEY_ENV) or None
        if key is None:
            return None
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, bytes):
        raise TypeError(f"user_id_hmac_key must be str or bytes, got {type(key).__name__}")
    if len(key) < 16:
        # A short key makes the hashes of common ids (emails, small integers) guessable.
        raise ValueError("user_id_hmac_key must be at least 16 bytes long")
    return key


def hash_user_id(user_id: str, key: bytes) -> str:
    """``hmac-sha256:<hex>`` of `user_id` under `key`; an already hashed value is returned as is."""
    if user_id.startswith(HASHED_PREFIX):
        return user_id
    digest = hmac.new(key, user_id.encode("utf-8"), hashlib.sha256).hexdigest()
    return HASHED_PREFIX + digest


class UserIdHashingSpanProcessor(SpanProcessor):
    """Replaces user ids on spans with their HMAC as the spans start (after attribution)."""

    def __init__(self, key: bytes, attribute_names: Set[str] = frozenset(USER_ID_ATTRIBUTES)):
        self._key = key
        self._names = attribute_names

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        try:
            existing = span.attributes or {}
            for name in self._names:
                value = existing.get(name)
                if isinstance(value, str) and not value.startswith(HASHED_PREFIX):
                    span.set_attribute(name, hash_user_id(value, self._key))
        except Exception as error:
            report_internal_error("hashing a user id", error)

    def on_end(self, span: ReadableSpan) -> None:
        pass

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


class UserIdHashingPropagator(TextMapPropagator):
    """A propagator that sends the user id in outgoing baggage only in hashed form."""

    def __init__(self, inner: TextMapPropagator, key: bytes) -> None:
        self.inner = inner
        self._key = key

    def extract(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        getter: Getter[CarrierT] = default_getter,
    ) -> Context:
        return self.inner.extract(carrier, context, getter)

    def inject(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        setter: Setter[CarrierT] = default_setter,
    ) -> None:
        ctx = context if context is not None else get_current()
        user_id = baggage.get_baggage(attr.USER_ID, ctx)
        if isinstance(user_id, str):
            ctx = baggage.set_baggage(attr.USER_ID, hash_user_id(user_id, self._key), ctx)
        self.inner.inject(carrier, ctx, setter)

    @property
    def fields(self) -> set[str]:
        return self.inner.fields
