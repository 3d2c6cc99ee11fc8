"""``POST /{v1,v1beta}/models/{model}:generateContent`` and ``:streamGenerateContent``.

Gemini semantics: ``promptTokenCount`` includes ``cachedContentTokenCount``;
``candidatesTokenCount`` EXCLUDES ``thoughtsTokenCount`` (billed output is their sum);
``totalTokenCount`` sums prompt, candidates and thoughts. Zero-valued optional counts are
omitted, as proto3 JSON does. Gemini reports no cache writes per call (explicit caches are
created separately), so an override's cache writes stay inside ``promptTokenCount`` only.

Default caching: a request naming ``cachedContent`` gets ``1024 + seed % 4096`` cached tokens
(seeded by the cache name) added to its prompt; otherwise the shared implicit-caching rule applies.
Streaming (``?alt=sse``) sends ``data: {...}`` chunks, each with cumulative ``usageMetadata``;
the last has ``finishReason``. Without ``alt=sse`` the stream is a JSON array of the same chunks.
"""

from __future__ import annotations

import re
from typing import Any, Final

from llmledger.simulator.catalog import gemini_thinks_by_default
from llmledger.simulator.errors import ApiError
from llmledger.simulator.protocol import (
    JsonReply,
    Reply,
    SimRequest,
    StreamReply,
    new_id,
    optional_object,
    optional_positive_int,
    require_list,
    sse_data,
)
from llmledger.simulator.synthesis import (
    Completion,
    estimate_tokens,
    implicit_cache_tokens,
    plan_completion,
    prompt_text,
    seed_of,
)
from llmledger.simulator.usage import NeutralUsage

GEMINI_PATH: Final = re.compile(
    r"^/(?:v1|v1beta)/models/(?P<model>[^/:]+):(?P<method>generateContent|streamGenerateContent)$"
)
_SNAKE_WORD: Final = re.compile(r"_([a-z0-9])")
_TIERS: Final = {
    "unspecified": "standard",
    "standard": "standard",
    "flex": "flex",
    "priority": "priority",
}


def generate_content(request: SimRequest) -> Reply:
    """Answer one generateContent / streamGenerateContent request."""
    body = _camel_keys(request.body)
    model = request.path_params["model"]
    contents = require_list(
        body, "contents", "* GenerateContentRequest.contents: contents is not specified"
    )
    config = _camel_keys(optional_object(body, "generationConfig"))
    thinking = _camel_keys(optional_object(config, "thinkingConfig"))
    budget = thinking.get("thinkingBudget")
    if budget is not None and (
        isinstance(budget, bool) or not isinstance(budget, int) or budget < -1
    ):
        raise ApiError("thinkingBudget must be an integer >= -1", param="thinkingBudget")
    requested_tier = body.get("serviceTier")
    tier = _served_tier(requested_tier)
    prompt = prompt_text([body.get("systemInstruction"), contents, body.get("tools")])
    prompt_tokens = max(1, estimate_tokens(prompt))
    cache_name = body.get("cachedContent")
    if cache_name is not None and (not isinstance(cache_name, str) or not cache_name):
        raise ApiError("cachedContent must be a cache resource name", param="cachedContent")
    if cache_name:
        cached = 1024 + seed_of(cache_name) % 4096
        prompt_tokens += cached
    else:
        cached = implicit_cache_tokens(prompt_tokens)
    completion = plan_completion(
        prompt=prompt,
        input_side=NeutralUsage(
            input_tokens=prompt_tokens, output_tokens=0, cache_read_tokens=cached, service_tier=tier
        ),
        reasoning=gemini_thinks_by_default(model) and budget != 0,
        reasoning_budget=budget if budget is not None and budget > 0 else None,
        max_output_tokens=optional_positive_int(config, "maxOutputTokens"),
        override=request.usage_override,
    )
    report_tier = requested_tier is not None or (
        request.usage_override is not None and request.usage_override.service_tier is not None
    )
    chunk = _Chunker(model, completion, report_tier)
    if request.path_params["method"] == "generateContent":
        return JsonReply(chunk(completion.text, completion.usage.visible_output_tokens, final=True))
    pieces = completion.pieces()
    chunks = [
        chunk(piece, _cumulative(completion, pieces, index), final=index == len(pieces) - 1)
        for index, piece in enumerate(pieces)
    ]
    if request.query.get("alt") == "sse":
        return StreamReply([sse_data(item, terminator=b"\r\n\r\n") for item in chunks])
    return JsonReply(chunks)


def _camel_keys(message: dict[str, Any]) -> dict[str, Any]:
    """``message`` with snake_case keys renamed to lowerCamelCase.

    Proto3 JSON parsers accept both spellings, and the SDK does send some snake_case keys
    (e.g. ``thinkingConfig.thinking_budget``).
    """
    return {
        _SNAKE_WORD.sub(lambda m: m.group(1).upper(), key): value for key, value in message.items()
    }


def _served_tier(requested: Any) -> str:
    if requested is None:
        return "standard"
    if not isinstance(requested, str) or requested.lower() not in _TIERS:
        raise ApiError(f"Invalid value for serviceTier: {requested!r}", param="serviceTier")
    return _TIERS[requested.lower()]


def _cumulative(completion: Completion, pieces: list[str], index: int) -> int:
    """Candidate tokens reported after ``index + 1`` pieces; the last piece reports them all."""
    if index == len(pieces) - 1:
        return completion.usage.visible_output_tokens
    return completion.usage.visible_output_tokens * (index + 1) // len(pieces)


class _Chunker:
    """Builds response objects that share one response id, as a real stream's chunks do."""

    def __init__(self, model: str, completion: Completion, report_tier: bool) -> None:
        self._model = model
        self._completion = completion
        self._report_tier = report_tier
        self._response_id = new_id("")

    def __call__(self, text: str, candidates_tokens: int, *, final: bool) -> dict[str, Any]:
        usage = self._completion.usage
        metadata: dict[str, Any] = {
            "promptTokenCount": usage.input_tokens,
            "candidatesTokenCount": candidates_tokens,
            "totalTokenCount": usage.input_tokens + candidates_tokens + usage.reasoning_tokens,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": usage.input_tokens}],
        }
        if usage.cache_read_tokens:
            metadata["cachedContentTokenCount"] = usage.cache_read_tokens
            metadata["cacheTokensDetails"] = [
                {"modality": "TEXT", "tokenCount": usage.cache_read_tokens}
            ]
        if usage.reasoning_tokens:
            metadata["thoughtsTokenCount"] = usage.reasoning_tokens
        if self._report_tier:
            metadata["serviceTier"] = usage.service_tier
        candidate: dict[str, Any] = {
            "content": {"parts": [{"text": text}], "role": "model"},
            "index": 0,
        }
        if final:
            candidate["finishReason"] = "MAX_TOKENS" if self._completion.truncated else "STOP"
        return {
            "candidates": [candidate],
            "usageMetadata": metadata,
            "modelVersion": self._model,
            "responseId": self._response_id,
        }
