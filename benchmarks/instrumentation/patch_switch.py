"""Flip the OpenAI SDK between its original and its instrumented methods, call by call.

Instrumenting happens once; timing then swaps the patched methods in and out around single
calls, so instrumented and uninstrumented calls alternate and machine noise hits both alike.
`uninstrument()` between calls would not do: OpenLLMetry 0.62's leaves its wrapper in place
(it unwraps a dotted path that does not resolve), and it is slow for all.
"""

from __future__ import annotations

from typing import Any, Final

import openai
from openai.resources.chat.completions import AsyncCompletions, Completions
from opentelemetry.sdk.trace import TracerProvider

# Where instrumentations patch the SDK: the chat resource methods (llmledger, the official
# one, OpenLLMetry), the client's `request` method (OpenInference), the streams' `close`
# (llmledger: a stream whose events it reads ends its span there).
PATCH_POINTS: Final = (
    (Completions, "create"),
    (AsyncCompletions, "create"),
    (openai.OpenAI, "request"),
    (openai.AsyncOpenAI, "request"),
    (openai.Stream, "close"),
    (openai.AsyncStream, "close"),
)
_ABSENT: Final = object()


def _snapshot() -> list[Any]:
    return [vars(owner).get(name, _ABSENT) for owner, name in PATCH_POINTS]


def _put(methods: list[Any]) -> None:
    for (owner, name), method in zip(PATCH_POINTS, methods, strict=True):
        if method is _ABSENT:
            if name in vars(owner):
                delattr(owner, name)
        else:
            setattr(owner, name, method)


class PatchSwitch:
    """Instruments once with `instrumentor`, then `on()`/`off()` swap the patched methods."""

    def __init__(self, instrumentor: Any, provider: TracerProvider) -> None:
        self._original = _snapshot()
        instrumentor.instrument(tracer_provider=provider)
        self._instrumented = _snapshot()
        if all(new is old for new, old in zip(self._instrumented, self._original, strict=True)):
            raise RuntimeError(f"{type(instrumentor).__module__} patched none of {PATCH_POINTS}")
        self.off()

    def on(self) -> None:
        _put(self._instrumented)

    def off(self) -> None:
        _put(self._original)
