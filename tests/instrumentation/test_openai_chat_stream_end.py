"""How the span of a plain chat stream (usage asked on the app's behalf) ends, through the SDK.

The app gets the SDK's own stream object, so the span ends from the stream's events and from the
SDK's `close()`: at the end, on an error event or a broken connection (the app gets the SDK's
error, the span records it), and when the app closes the stream early, in every way the SDK
offers. Failures the simulator never sends come from an in-process transport.
"""

from __future__ import annotations

import asyncio
import importlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from llmledger.instrumentation import attributes as attr
from llmledger.simulator import Simulator

pytestmark = pytest.mark.usefixtures("openai_instrumented")

# The HTTP library this SDK version is built on: httpx, or httpx2 from openai 3.x on.
http = importlib.import_module(openai.DefaultHttpxClient.__mro__[1].__module__.partition(".")[0])

MODEL = "gpt-5"
MESSAGES: Any = [{"role": "user", "content": "hi"}]
USAGE = {"input_tokens": 1200, "output_tokens": 300}
FIRST_CHUNK = {
    "id": "chatcmpl-1",
    "object": "chat.completion.chunk",
    "created": 1,
    "model": "gpt-5-2025-08-07",
    "choices": [{"index": 0, "delta": {"content": "Hel"}, "finish_reason": None}],
}
ERROR = {"message": "The server had an error while processing your request.", "type": "server"}


def _event(data: str) -> bytes:
    # As OpenAI writes a chunk when usage was asked for: a null usage as its last member.
    return f"data: {data}\n\n".encode()


FIRST_EVENT = _event(json.dumps(FIRST_CHUNK, separators=(",", ":"))[:-1] + ',"usage":null}')


def _client_answering(body: Callable[[], Iterator[bytes]]) -> openai.OpenAI:
    def reply(request: Any) -> Any:
        return http.Response(200, headers={"content-type": "text/event-stream"}, content=body())

    client = http.Client(transport=http.MockTransport(reply))
    return openai.OpenAI(base_url="http://llm.invalid/v1", api_key="x", http_client=client)


def _only_span(spans: InMemorySpanExporter) -> ReadableSpan:
    [span] = spans.get_finished_spans()
    return span


def _error_event() -> Iterator[bytes]:
    yield FIRST_EVENT
    yield _event(json.dumps({"error": ERROR}))


def _invalid_event() -> Iterator[bytes]:
    yield FIRST_EVENT
    yield _event("{not json")


def _broken_connection() -> Iterator[bytes]:
    yield FIRST_EVENT
    raise http.ReadError("connection reset by peer")


@pytest.mark.parametrize("body", [_error_event, _invalid_event, _broken_connection])
def test_a_failing_stream_records_the_failure_the_app_gets(
    spans: InMemorySpanExporter, body: Callable[[], Iterator[bytes]]
) -> None:
    stream = _client_answering(body).chat.completions.create(
        model=MODEL, messages=MESSAGES, stream=True
    )
    assert type(stream) is openai.Stream  # the SDK's own object, not a wrapper
    first = next(stream)
    assert first.to_dict() == FIRST_CHUNK  # the null usage we caused is not on it
    with pytest.raises(Exception) as raised:
        next(stream)
    span = _only_span(spans)
    attributes = dict(span.attributes or {})
    # What failed first: the SDK may wrap it (a broken connection is `APIConnectionError`
    # from openai 3.x on), keeping it as the cause.
    failure = raised.value.__cause__ or raised.value
    assert span.status.status_code is StatusCode.ERROR
    assert attributes[attr.ERROR_TYPE] == type(failure).__qualname__
    [event] = span.events
    assert (event.attributes or {})["exception.message"] == str(failure)
    assert attributes[attr.RESPONSE_ID] == "chatcmpl-1"
    assert attributes[attr.USAGE_MISSING] is True
    if body is _error_event:
        assert isinstance(raised.value, openai.APIError) and raised.value.body == ERROR


def _close(stream: Any) -> None:
    stream.close()


def _leave_with_block(stream: Any) -> None:
    with stream as entered:
        assert entered is stream
        next(entered)


@pytest.mark.parametrize("end_early", [_close, _leave_with_block])
def test_closing_a_stream_early_ends_its_span(
    sim: Simulator,
    spans: InMemorySpanExporter,
    usage_header: Callable[..., dict[str, str]],
    end_early: Callable[[Any], None],
) -> None:
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
    stream = client.chat.completions.create(
        model=MODEL, messages=MESSAGES, stream=True, extra_headers=usage_header(**USAGE)
    )
    first = next(stream)
    assert spans.get_finished_spans() == ()
    end_early(stream)
    attributes = dict(_only_span(spans).attributes or {})
    assert attributes[attr.RESPONSE_ID] == first.id
    assert attributes[attr.USAGE_MISSING] is True
    assert attr.STREAM_ABANDONED not in attributes


@pytest.mark.parametrize("how", ["close", "async with"])
def test_closing_an_async_stream_early_ends_its_span(
    sim: Simulator,
    spans: InMemorySpanExporter,
    usage_header: Callable[..., dict[str, str]],
    how: str,
) -> None:
    async def read_one_then_close() -> tuple[Any, tuple[ReadableSpan, ...]]:
        async with openai.AsyncOpenAI(base_url=sim.openai_base_url, api_key="x") as client:
            stream = await client.chat.completions.create(
                model=MODEL, messages=MESSAGES, stream=True, extra_headers=usage_header(**USAGE)
            )
            assert type(stream) is openai.AsyncStream
            if how == "close":
                first = await stream.__anext__()
                before = spans.get_finished_spans()
                await stream.close()
            else:
                async with stream:
                    first = await stream.__anext__()
                    before = spans.get_finished_spans()
            return first, before

    first, before_closing = asyncio.run(read_one_then_close())
    assert before_closing == ()
    attributes = dict(_only_span(spans).attributes or {})
    assert attributes[attr.RESPONSE_ID] == first.id
    assert attributes[attr.USAGE_MISSING] is True
    assert attr.STREAM_ABANDONED not in attributes


def test_a_stream_read_to_its_end_records_usage_once_closed_too(
    sim: Simulator, spans: InMemorySpanExporter, usage_header: Callable[..., dict[str, str]]
) -> None:
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
    with client.chat.completions.create(
        model=MODEL, messages=MESSAGES, stream=True, extra_headers=usage_header(**USAGE)
    ) as stream:
        chunks = list(stream)
        assert len(spans.get_finished_spans()) == 1  # ended at the end, before the close
    attributes = dict(_only_span(spans).attributes or {})
    assert attributes[attr.RESPONSE_ID] == chunks[0].id
    assert attributes[attr.USAGE_INPUT_TOKENS] == 1200
    assert attributes[attr.USAGE_OUTPUT_TOKENS] == 300
    assert attr.USAGE_MISSING not in attributes
