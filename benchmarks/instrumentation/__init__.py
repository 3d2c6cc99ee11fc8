"""How much time each OpenAI instrumentation adds to an LLM call, against a bare span's cost.

Run: ``.venv/bin/python -m benchmarks.instrumentation [--rounds N] [--calls N] [--json PATH]``.

What is compared, each against the same uninstrumented calls in the same process: llmledger
(`OpenAIInstrumentor` + `AttributionSpanProcessor`, inside `attribute(...)`), the official
`opentelemetry-instrumentation-genai-openai`, OpenLLMetry's `opentelemetry-instrumentation-openai`
and `openinference-instrumentation-openai`, all with their default settings; and the floor, a
bare span carrying exactly the attributes ours ends with, around the same calls. Every
configuration exports through the same pipeline (a `SimpleSpanProcessor` into a no-op exporter).

The calls are real `openai` SDK calls whose HTTP never leaves the process (`transport`): replies
are the provider simulator's own JSON and SSE bodies, with cached and reasoning tokens and a
served tier. Modes: ``non_streaming``; ``streaming`` (the app does not ask for usage, so
llmledger requests it: the reply then carries ``"usage": null`` in every chunk and one more
event, which llmledger drops before the SDK builds it into a chunk); and ``streaming_usage``
(the app asks for usage: all receive the same bytes).
"""
