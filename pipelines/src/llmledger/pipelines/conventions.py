"""Which attribute names each instrumentation uses for the facts the lake records.

The alias table from the telemetry-conventions reference: for each lake column, the
attribute names in priority order (the first one present with a usable value wins).
Never list two aliases that count different things: the normalizer takes one, not a sum.

Convention differences worth knowing when reading the lake:
- OTel GenAI (and so llmledger, Logfire, OpenLLMetry 0.48+): `input_tokens` includes cache
  read and write, `output_tokens` includes reasoning.
- OpenInference: `llm.token_count.prompt` for Anthropic already includes the cache tokens,
  unlike Anthropic's own `usage.input_tokens`, so it is a total like everyone else's.
- Logfire puts cache and reasoning detail only inside `gen_ai.usage.raw` (the provider's
  usage object as JSON); see `RAW_USAGE_*`.
"""

from __future__ import annotations

from typing import Final

from llmledger.instrumentation import attributes as ours

PROVIDER: Final = (ours.PROVIDER_NAME, "gen_ai.system", "llm.provider", "llm.system")
OPERATION: Final = (ours.OPERATION_NAME, "llm.request.type", "openinference.span.kind")
REQUEST_MODEL: Final = (ours.REQUEST_MODEL, "llm.request.model_name", "llm.model_name")
RESPONSE_MODEL: Final = (ours.RESPONSE_MODEL, "llm.response.model_name", "llm.model_name")
RESPONSE_ID: Final = (ours.RESPONSE_ID,)
INPUT_TOKENS: Final = (
    ours.USAGE_INPUT_TOKENS,
    "gen_ai.usage.prompt_tokens",
    "llm.token_count.prompt",
)
OUTPUT_TOKENS: Final = (
    ours.USAGE_OUTPUT_TOKENS,
    "gen_ai.usage.completion_tokens",
    "llm.token_count.completion",
)
CACHE_READ_TOKENS: Final = (
    ours.USAGE_CACHE_READ_INPUT_TOKENS,
    "gen_ai.usage.cache_read_input_tokens",
    "llm.token_count.prompt_details.cache_read",
    "gen_ai.usage.prompt_tokens_details.cached_tokens",
)
CACHE_WRITE_TOKENS: Final = (
    ours.USAGE_CACHE_WRITE_INPUT_TOKENS,
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
    "llm.token_count.prompt_details.cache_write",
    "gen_ai.usage.prompt_tokens_details.cache_creation_tokens",
)
CACHE_WRITE_1H_TOKENS: Final = (
    ours.USAGE_CACHE_WRITE_1H_INPUT_TOKENS,
    "anthropic.usage.cache_creation.ephemeral_1h_input_tokens",  # the anthropic SDK's own spans
)
REASONING_TOKENS: Final = (
    ours.USAGE_REASONING_OUTPUT_TOKENS,
    "gen_ai.usage.reasoning_tokens",
    "llm.usage.reasoning_tokens",
    "llm.token_count.completion_details.reasoning",
    "gen_ai.usage.completion_tokens_details.reasoning_tokens",
)
# Our own key comes first: it holds the served tier for every provider, not only OpenAI.
SERVICE_TIER: Final = (
    ours.SERVICE_TIER,
    ours.OPENAI_RESPONSE_SERVICE_TIER,
    "gen_ai.openai.response.service_tier",
    "anthropic.response.service_tier",
)
USER: Final = (
    ours.USER_ID,
    "traceloop.association.properties.user_id",
    "traceloop.association.properties.customer_id",
)
SESSION: Final = (
    ours.CONVERSATION_ID,
    "session.id",
    "traceloop.association.properties.session_id",
)
STREAMING: Final = (ours.REQUEST_STREAM, "gen_ai.is_streaming", "llm.is_streaming")
IS_BATCH: Final = (ours.IS_BATCH,)
USAGE_MISSING: Final = (ours.USAGE_MISSING,)
FEATURE: Final = (ours.FEATURE,)
TEAM: Final = (ours.TEAM,)

RAW_USAGE: Final = "gen_ai.usage.raw"
# Paths inside a provider usage object (OpenAI chat / Responses, Anthropic).
RAW_USAGE_CACHE_READ: Final = (
    ("prompt_tokens_details", "cached_tokens"),
    ("input_tokens_details", "cached_tokens"),
    ("cache_read_input_tokens",),
)
RAW_USAGE_CACHE_WRITE: Final = (
    ("prompt_tokens_details", "cache_write_tokens"),
    ("input_tokens_details", "cache_write_tokens"),
    ("cache_creation_input_tokens",),
)
RAW_USAGE_REASONING: Final = (
    ("completion_tokens_details", "reasoning_tokens"),
    ("output_tokens_details", "reasoning_tokens"),
)

# Operation values that are billable model calls, mapped to the OTel GenAI names.
BILLABLE_OPERATIONS: Final = {
    "chat": "chat",
    "text_completion": "text_completion",
    "completion": "text_completion",  # OpenLLMetry llm.request.type
    "generate_content": "generate_content",
    "embeddings": "embeddings",
    "embedding": "embeddings",  # OpenLLMetry llm.request.type
    "llm": "chat",  # OpenInference span kind LLM (chat and completion alike)
}
# Spans that wrap model calls and may repeat their usage: never billable.
WRAPPER_MARKERS: Final = ("gen_ai.agent.name", "traceloop.span.kind", "agent_name")

PROVIDER_SPELLINGS: Final = {
    "az.ai.openai": "azure",
    "azure.ai.openai": "azure",
    "azure.ai.inference": "azure",
    "aws.bedrock": "aws",
    "bedrock": "aws",
    "gcp.gen_ai": "google",
    "gcp.vertex_ai": "google",
    "gcp.gemini": "google",
    "vertex_ai": "google",
    "vertexai": "google",
    "gemini": "google",
    "mistralai": "mistral",
    "mistral_ai": "mistral",
    "x_ai": "xai",
}

# Prompt and completion text: not needed to price a call, and personal data, so the lake
# does not keep it in `attributes_json`.
CONTENT_PREFIXES: Final = (
    "gen_ai.prompt",
    "gen_ai.completion",
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "llm.input_messages",
    "llm.output_messages",
    "llm.prompts",
    "input.value",
    "output.value",
    "traceloop.entity.input",
    "traceloop.entity.output",
)
