"""Method patches as data, so an instrumentor applies and undoes exactly the same set.

Each SDK's instrumentor is a `PatchingInstrumentor` that only lists its patches and the
SDK versions it supports. A patch whose method does not exist in the installed SDK version (an
API surface newer than the oldest supported SDK, e.g. OpenAI's Responses API) is skipped, so one
instrumentor serves the whole supported version range.
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

# Builds the `wrapt` wrapper of one patched method from the tracer and the surface.
WrapperFactory = Callable[[Tracer, Surface], Any]


@dataclass(frozen=True, slots=True)
class MethodPatch:
    """Trace `module.owner.method` (an SDK resource method) as a call of `surface`.

    `wrapper_factory` replaces the standard call flow for methods that are not a plain call,
    such as a streaming helper that returns a context manager.
    """

    module: str
    owner: str
    method: str
    surface: Surface
    is_async: bool
    wrapper_factory: WrapperFactory | None = None

    def owner_class(self) -> Any:
        """The SDK class holding the method, or None if this SDK version has no such class."""
        try:
            module = importlib.import_module(self.module)
        except ImportError:
            return None
        return getattr(module, self.owner, None)

    def exists(self) -> bool:
        """Whether the installed SDK has this method."""
        owner = self.owner_class()
        return owner is not None and self.method in vars(owner)

    def apply(self, tracer: Tracer) -> None:
        make_wrapper = self.wrapper_factory or (async_wrapper if self.is_async else sync_wrapper)
        wrap_function_wrapper(
            self.module, f"{self.owner}.{self.method}", make_wrapper(tracer, self.surface)
        )

    def undo(self) -> None:
        unwrap(self.owner_class(), self.method)


def apply_all(patches: Iterable[MethodPatch], tracer: Tracer) -> list[MethodPatch]:
    """Apply every patch whose method exists; returns the ones applied.

    A method reachable under two names (a class re-exported by another module) is patched
    once: wrapping it twice would record every call twice.
    """
    applied = []
    patched: set[tuple[int, str]] = set()
    for patch in patches:
        if not patch.exists():
            continue
        target = (id(patch.owner_class()), patch.method)
        if target in patched:
            continue
        patch.apply(tracer)
        patched.add(target)
        applied.append(patch)
    return applied


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
        # BaseInstrumentor makes each instrumentor class a singleton, so this survives until
        # `_uninstrument`, which must undo exactly what was applied.
        self._applied = apply_all(self.patches, llm_tracer(kwargs.get("tracer_provider")))

    def _uninstrument(self, **kwargs: Any) -> None:
        undo_all(getattr(self, "_applied", ()))
        self._applied = []
