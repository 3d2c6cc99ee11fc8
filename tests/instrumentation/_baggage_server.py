"""Child process for test_attribution: a downstream service that receives W3C context over HTTP.

It extracts the incoming `traceparent`/`baggage` headers with the default propagators, starts an
LLM-looking span under that context through a provider running AttributionSpanProcessor, and
answers with the span it recorded (trace id, parent span id, attributes) as JSON. Prints its port
on the first line of stdout, then serves until terminated.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, HTTPServer

from opentelemetry.propagate import extract
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from llmledger.instrumentation import AttributionSpanProcessor

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(AttributionSpanProcessor())
provider.add_span_processor(SimpleSpanProcessor(exporter))
tracer = provider.get_tracer("downstream-genai-instrumentation")


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        # HTTP header names are case-insensitive; the default getter is not.
        incoming = extract({name.lower(): value for name, value in self.headers.items()})
        with tracer.start_as_current_span(
            "chat gpt-4o", context=incoming, attributes={"gen_ai.request.model": "gpt-4o"}
        ):
            pass
        [span] = exporter.get_finished_spans()
        exporter.clear()
        parent = span.parent
        body = json.dumps(
            {
                "trace_id": f"{span.context.trace_id:032x}",
                "parent_span_id": f"{parent.span_id:016x}" if parent else None,
                "attributes": dict(span.attributes or {}),
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
