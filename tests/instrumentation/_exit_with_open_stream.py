"""Child process for test_spans_open_at_exit: an app that exits holding an unfinished stream.

Set up as apps are: a tracer provider exporting in batches (it shuts down at exit, dropping any
span that ends later), then instrumentation. Makes a plain chat stream (usage not asked) against
the simulator at argv[1], reads its first chunk, prints that chunk's id, and exits with the
stream still referenced. Exported spans go to stdout, one JSON object a line.
"""

from __future__ import annotations

import sys

import openai
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

from llmledger.instrumentation import OpenAIInstrumentor


def _one_line(span: ReadableSpan) -> str:
    return span.to_json(indent=None) + "\n"


provider = TracerProvider()
provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter(formatter=_one_line)))
OpenAIInstrumentor().instrument(tracer_provider=provider)

client = openai.OpenAI(base_url=sys.argv[1], api_key="x")
stream = client.chat.completions.create(
    model="gpt-5", messages=[{"role": "user", "content": "hi"}], stream=True
)
print(next(stream).id, flush=True)
