"""Zero-code use: an unmodified app run under the real `opentelemetry-instrument` command sends
our spans, for all three SDKs, to an OTLP/HTTP endpoint (a tiny local receiver)."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from llmledger.instrumentation import (
    AnthropicInstrumentor,
    GoogleGenAIInstrumentor,
    OpenAIInstrumentor,
)
from llmledger.instrumentation import attributes as attr
from llmledger.instrumentation.zero_code import LLMLedgerConfigurator
from llmledger.simulator import Simulator

PYPROJECT = Path(__file__).parents[2] / "instrumentation" / "pyproject.toml"
INSTRUMENT_COMMAND = Path(sys.executable).with_name("opentelemetry-instrument")

APP = """
import sys
import anthropic, openai
from google import genai
from google.genai import types
from llmledger.instrumentation import attribute

base = sys.argv[1]
with attribute(feature="zero-code"):
    openai.OpenAI(base_url=base + "/v1", api_key="x").chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
    )
    anthropic.Anthropic(base_url=base, api_key="x").messages.create(
        model="claude-sonnet-4-5", max_tokens=32, messages=[{"role": "user", "content": "hi"}]
    )
    google = genai.Client(api_key="x", http_options=types.HttpOptions(base_url=base))
    google.models.generate_content(model="gemini-2.5-flash", contents="hi")
print("app done")
"""


def _declared_entry_points() -> dict[str, dict[str, str]]:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    return dict(project["entry-points"])


def test_entry_points_name_our_classes() -> None:
    # `opentelemetry-instrument` loads these strings; a typo would only show up in production.
    loaded = {}
    for group in _declared_entry_points().values():
        for name, target in group.items():
            module_name, _, attribute_name = target.partition(":")
            loaded[name] = getattr(importlib.import_module(module_name), attribute_name)
    assert loaded == {
        "llmledger_openai": OpenAIInstrumentor,
        "llmledger_anthropic": AnthropicInstrumentor,
        "llmledger_google_genai": GoogleGenAIInstrumentor,
        "llmledger": LLMLedgerConfigurator,
    }


@pytest.fixture
def otlp_bodies() -> Iterator[tuple[str, list[bytes]]]:
    bodies: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", bodies
    server.shutdown()
    server.server_close()
    thread.join()


def _entry_points_as_installed_metadata(folder: Path) -> Path:
    """A dist-info declaring the entry points of pyproject.toml, so the test checks what the
    package declares even before the environment is re-synced."""
    dist_info = folder / "llmledger_zero_code_check-0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: llmledger-zero-code-check\n")
    sections = [
        f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in entries.items())
        for group, entries in _declared_entry_points().items()
    ]
    (dist_info / "entry_points.txt").write_text("\n".join(sections))
    return folder


def _spans(bodies: list[bytes]) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """span name -> (resource attributes, span attributes) of llmledger's spans."""
    found = {}
    for body in bodies:
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        for resource_spans in request.resource_spans:
            resource = {kv.key: kv.value.string_value for kv in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                if scope_spans.scope.name != attr.INSTRUMENTATION_SCOPE:
                    continue  # e.g. the anthropic SDK's own spans
                for span in scope_spans.spans:
                    values = {
                        kv.key: getattr(kv.value, kv.value.WhichOneof("value"))
                        for kv in span.attributes
                    }
                    found[span.name] = (resource, values)
    return found


def test_app_under_opentelemetry_instrument_sends_our_spans(
    sim: Simulator, otlp_bodies: tuple[str, list[bytes]], tmp_path: Path
) -> None:
    endpoint, bodies = otlp_bodies
    env = {
        **os.environ,
        "PYTHONPATH": str(_entry_points_as_installed_metadata(tmp_path)),
        "OTEL_SERVICE_NAME": "zero-code-app",
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_PYTHON_CONFIGURATOR": "llmledger",
        # The dev environment also has three other OpenAI instrumentations, all named "openai".
        "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "openai",
    }
    app = tmp_path / "app.py"
    app.write_text(APP)
    finished = subprocess.run(
        [str(INSTRUMENT_COMMAND), sys.executable, str(app), sim.url],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == "app done"
    spans = _spans(bodies)
    expected_providers = {
        "chat gpt-4o": "openai",
        "chat claude-sonnet-4-5": "anthropic",
        "generate_content gemini-2.5-flash": "gcp.gen_ai",
    }
    assert set(spans) == set(expected_providers), finished.stderr
    for name, provider in expected_providers.items():
        resource, attributes = spans[name]
        assert resource["service.name"] == "zero-code-app"
        assert attributes[attr.PROVIDER_NAME] == provider
        assert attributes[attr.FEATURE] == "zero-code"
        assert attributes[attr.USAGE_INPUT_TOKENS] > 0
