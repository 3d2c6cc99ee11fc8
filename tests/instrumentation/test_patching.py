"""Patches of methods an installed SDK version lacks are skipped, a method reachable under two
module paths is patched once, and everything applied is undone exactly."""

from __future__ import annotations

import openai
from openai.resources.embeddings import Embeddings
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from llmledger.instrumentation._patching import MethodPatch, PatchingInstrumentor
from llmledger.instrumentation.openai.embeddings import EMBEDDINGS
from llmledger.simulator import Simulator


class _PartlyAvailable(PatchingInstrumentor):
    instruments = ("openai >= 1.66.0",)
    patches = (
        MethodPatch("openai.resources.embeddings", "Embeddings", "create", EMBEDDINGS, False),
        # A surface newer than the installed SDK: another method, another class, another module.
        MethodPatch("openai.resources.embeddings", "Embeddings", "no_such", EMBEDDINGS, False),
        MethodPatch("openai.resources.embeddings", "NoSuchClass", "create", EMBEDDINGS, False),
        MethodPatch("openai.resources.no_such_module", "X", "create", EMBEDDINGS, False),
    )


def test_missing_methods_are_skipped_and_the_rest_restored(tracer_provider: TracerProvider) -> None:
    original = Embeddings.__dict__["create"]
    instrumentor = _PartlyAvailable()
    instrumentor.instrument(tracer_provider=tracer_provider)
    try:
        assert Embeddings.__dict__["create"] is not original
        assert "no_such" not in Embeddings.__dict__
    finally:
        instrumentor.uninstrument()
    assert Embeddings.__dict__["create"] is original


class _SameMethodTwice(PatchingInstrumentor):
    # As when one SDK class is re-exported under a second module path.
    patches = (
        MethodPatch("openai.resources.embeddings", "Embeddings", "create", EMBEDDINGS, False),
        MethodPatch("openai.resources", "Embeddings", "create", EMBEDDINGS, False),
    )


def test_a_method_listed_twice_is_patched_once(
    sim: Simulator, spans: InMemorySpanExporter, tracer_provider: TracerProvider
) -> None:
    original = Embeddings.__dict__["create"]
    instrumentor = _SameMethodTwice()
    instrumentor.instrument(tracer_provider=tracer_provider)
    try:
        client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
        client.embeddings.create(model="text-embedding-3-small", input="once")
    finally:
        instrumentor.uninstrument()
    assert len(spans.get_finished_spans()) == 1
    assert Embeddings.__dict__["create"] is original
