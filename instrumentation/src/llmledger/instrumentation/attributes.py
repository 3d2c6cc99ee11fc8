"""Every span attribute and baggage key llmledger reads or writes, in one place.

Standard names come from the OpenTelemetry GenAI semantic conventions (latest spelling);
names under `llmledger.` are ours, for facts the conventions have no key for yet.
"""

from __future__ import annotations

from typing import Final

# The instrumentation scope of every span llmledger makes: how ingest tells ours apart.
INSTRUMENTATION_SCOPE: Final = "llmledger.instrumentation"

# OpenTelemetry GenAI semantic conventions.
PROVIDER_NAME: Final = "gen_ai.provider.name"
OPERATION_NAME: Final = "gen_ai.operation.name"
REQUEST_MODEL: Final = "gen_ai.request.model"
RESPONSE_MODEL: Final = "gen_ai.response.model"
RESPONSE_ID: Final = "gen_ai.response.id"
REQUEST_STREAM: Final = "gen_ai.request.stream"
USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"  # includes cache read and write
USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"  # includes reasoning
USAGE_CACHE_READ_INPUT_TOKENS: Final = "gen_ai.usage.cache_read.input_tokens"
USAGE_CACHE_WRITE_INPUT_TOKENS: Final = "gen_ai.usage.cache_write.input_tokens"
USAGE_REASONING_OUTPUT_TOKENS: Final = "gen_ai.usage.reasoning.output_tokens"
OPENAI_RESPONSE_SERVICE_TIER: Final = "openai.response.service_tier"
CONVERSATION_ID: Final = "gen_ai.conversation.id"
USER_ID: Final = "user.id"
ERROR_TYPE: Final = "error.type"  # exception class of a failed call

# llmledger's own keys.
FEATURE: Final = "llmledger.feature"
TEAM: Final = "llmledger.team"
SERVICE_TIER: Final = "llmledger.response.service_tier"  # served tier, any provider
USAGE_CACHE_WRITE_1H_INPUT_TOKENS: Final = "llmledger.usage.cache_write_1h.input_tokens"
IS_BATCH: Final = "llmledger.request.batch"
USAGE_MISSING: Final = "llmledger.usage.missing"  # streamed call whose usage never arrived
# A stream the app dropped unfinished, without closing it: its span ended when it was collected.
STREAM_ABANDONED: Final = "llmledger.stream.abandoned"

# Attribution travels as W3C baggage under the same keys it gets on spans.
ATTRIBUTION_KEYS: Final = (FEATURE, TEAM, USER_ID, CONVERSATION_ID)
