"""Privacy: no prompt or completion content on spans, and user ids replaced by a keyed hash."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import anthropic
import openai
import pytest
from google import genai
from google.genai import types
from opentelemetry import baggage, propagate
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from llmledger.instrumentation import attribute, hash_user_id
from llmledger.instrumentation import attributes as attr
from llmledger.instrumentation.privacy import HMAC_KEY_ENV
from llmledger.simulator import Simulator

SECRET_PROMPT = "My card number is 4929-1111-2222-3333, please help"
KEY = "a-32-byte-secret-for-the-tests!!"


def _everything_recorded(span: ReadableSpan) -> str:
    """All text a span would export: name, attributes, events, links, resource."""
    return json.dumps(
        {
            "name": span.name,
            "attributes": dict(span.attributes or {}),
            "events": [(e.name, dict(e.attributes or {})) for e in span.events],
            "links": [dict(link.attributes or {}) for link in span.links],
            "resource": dict(span.resource.attributes),
        },
        default=str,
    )


@pytest.mark.usefixtures("openai_instrumented", "anthropic_instrumented", "google_instrumented")
def test_no_prompt_or_completion_is_recorded_even_when_asked(
    sim: Simulator, spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The switch other GenAI instrumentations use to capture content: ours ignores it.
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    completions: list[str] = []
    oa = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
    chat = oa.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": SECRET_PROMPT}]
    )
    completions.append(chat.choices[0].message.content or "")
    completions.append(oa.responses.create(model="gpt-4o", input=SECRET_PROMPT).output_text)
    oa.embeddings.create(model="text-embedding-3-small", input=SECRET_PROMPT)
    an = anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key="x")
    request: Any = {"role": "user", "content": SECRET_PROMPT}
    with an.messages.stream(model="claude-sonnet-4-5", max_tokens=64, messages=[request]) as s:
        completions.append(s.get_final_text())
    gclient = genai.Client(
        api_key="x", http_options=types.HttpOptions(base_url=sim.google_base_url)
    )
    completions.append(
        gclient.models.generate_content(model="gemini-2.5-flash", contents=SECRET_PROMPT).text or ""
    )

    finished = spans.get_finished_spans()
    assert len(finished) == 5
    assert all(len(text) > 10 for text in completions)
    for span in finished:
        recorded = _everything_recorded(span)
        assert "4929" not in recorded
        for text in completions:
            assert text not in recorded


def _expected_hash(user_id: str) -> str:
    digest = hmac.new(KEY.encode(), user_id.encode(), hashlib.sha256).hexdigest()
    return f"hmac-sha256:{digest}"


def test_hash_is_keyed_stable_and_idempotent() -> None:
    key = KEY.encode()
    hashed = hash_user_id("alice@example.com", key)
    assert hashed == _expected_hash("alice@example.com")
    assert hash_user_id(hashed, key) == hashed  # e.g. already hashed by an upstream service
    assert hash_user_id("alice@example.com", b"another-key-of-16+bytes") != hashed


def test_configured_key_hashes_user_ids_on_spans_and_in_outgoing_baggage(
    configured: Callable[..., TracerProvider],
    sim: Simulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(HMAC_KEY_ENV, KEY)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "1")  # nothing listens on port 9
    memory = InMemorySpanExporter()
    configured(endpoint="http://127.0.0.1:9", span_processors=[SimpleSpanProcessor(memory)])
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
    headers: dict[str, str] = {}
    with attribute(user_id="alice@example.com", feature="search"):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
        propagate.inject(headers)
        # Inside the process the app still sees its own id.
        assert baggage.get_baggage(attr.USER_ID) == "alice@example.com"

    [span] = memory.get_finished_spans()
    attributes = dict(span.attributes or {})
    assert attributes[attr.USER_ID] == _expected_hash("alice@example.com")
    assert attributes[attr.FEATURE] == "search"
    assert "alice" not in headers["baggage"]
    received = baggage.get_all(propagate.extract(headers))
    assert received[attr.USER_ID] == _expected_hash("alice@example.com")
    assert received[attr.FEATURE] == "search"


def test_without_a_key_user_ids_are_kept(
    configured: Callable[..., TracerProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(HMAC_KEY_ENV, raising=False)
    configured(endpoint="http://127.0.0.1:9", instrument=False)
    headers: dict[str, str] = {}
    with attribute(user_id="bob"):
        propagate.inject(headers)
    assert baggage.get_all(propagate.extract(headers))[attr.USER_ID] == "bob"


@pytest.mark.parametrize(
    ("key", "message"), [("short", "at least 16 bytes"), (12345, "must be str or bytes")]
)
def test_bad_key_gets_a_clear_error(
    configured: Callable[..., TracerProvider], key: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        configured(instrument=False, user_id_hmac_key=key)
