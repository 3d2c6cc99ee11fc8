"""Method patches as data, so an instrumentor applies and undoes exactly the same set.

Each SDK's instrumentor is a `PatchingInstrumentor` that only lists its patches and the
SDK versions it supports.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

# The upstream module is marked `# type: ignore` as a whole, so mypy sees no names in it.
from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)
from opentelemetry.instrumentation.utils import unwrap
from opentelemetry.trace import Tracer
from wrapt import wrap_function_wrapper

from llmledger.instrumentation._call_flow import Surface, async_wrapper, sync_wrapper
from llmledger.instrumentation._llm_span import llm_tracer


@dataclass(frozen=True, slots=True)
class MethodPatch:
    """Trace `module.owner.method` (an SDK resource method) as a call of `surface`."""

    module: str
    owner: str
    method: str
    surface: Surface
    is_async: bool

    def apply(self, tracer: Tracer) -> None:
        make_wrapper: Callable[[Tracer, Surface], Any] = (
            async_wrapper if self.is_async else sync_wrapper
        )
        wrap_function_wrapper(
            self.module, f"{self.owner}.{self.method}", make_wrapper(tracer, self.surface)
        )

    def undo(self) -> None:
        owner = getattr(importlib.import_module(self.module), self.owner)
        unwrap(owner, self.method)


def apply_all(patches: Iterable[MethodPatch], tracer: Tracer) -> None:
    for patch in patches:
        patch.apply(tracer)


def undo_all(patches: Iterable[MethodPatch]) -> None:
    for patch in patches:
        patch.undo()


class PatchingInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Traces SDK calls as GenAI CLIENT spans carrying every cost-relevant token count."""

    instruments: tuple[str, ...] = ()  # pip requirement specifiers of the supported SDK
    patches: tuple[MethodPatch, ...] = ()

    def instrumentation_dependencies(self) -> Collection[str]:
        return self.instruments

    def _instrument(self, **kwargs: Any) -> None:
        apply_all(self.patches, llm_tracer(kwargs.get("tracer_provider")))

    def _uninstrument(self, **kwargs: Any) -> None:
        undo_all(self.patches)
