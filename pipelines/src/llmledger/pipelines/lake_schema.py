"""The Parquet lake's layout: the contract between the consumer and the warehouse.

One row per GenAI span, normalized from whichever instrumentation emitted it. Token
totals follow the OpenTelemetry GenAI conventions: `input_tokens` includes cache reads
and writes, `output_tokens` includes reasoning. A NULL count means the span did not
report it (never "zero").

Files live at `<lake>/llm_calls/day=YYYY-MM-DD/<topic>-<partition>-<first>-<last>.parquet`,
partitioned by the UTC day the call started, named by the Kafka offsets they hold so a
replay rewrites the same file instead of adding a duplicate.

Spans that are model calls but carry impossible values (see `rejects`) go to the `rejects`
dataset instead, laid out the same way (`<lake>/rejects/day=.../<same names>`), with the
same columns plus `reject_reason`: kept apart from what is billed, never silently dropped.
"""

from __future__ import annotations

import pyarrow as pa

LLM_CALLS_DATASET = "llm_calls"

LLM_CALLS_SCHEMA = pa.schema(
    [
        pa.field("call_id", pa.string(), nullable=False),  # "<trace_id>-<span_id>" in hex
        pa.field("trace_id", pa.string(), nullable=False),
        pa.field("span_id", pa.string(), nullable=False),
        pa.field("parent_span_id", pa.string()),
        pa.field("started_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("ended_at", pa.timestamp("us", tz="UTC")),
        pa.field("service_name", pa.string()),
        pa.field("provider", pa.string()),  # lower-case: openai, anthropic, google, ...
        pa.field("operation", pa.string()),  # chat, text_completion, generate_content, embeddings
        pa.field("request_model", pa.string()),
        pa.field("response_model", pa.string()),
        # The provider's id for the response: one id is one bill, however many spans
        # (ours, the SDK's own, another instrumentation's) describe the call.
        pa.field("response_id", pa.string()),
        pa.field("input_tokens", pa.int64()),
        pa.field("cache_read_input_tokens", pa.int64()),
        pa.field("cache_write_input_tokens", pa.int64()),
        pa.field("cache_write_1h_input_tokens", pa.int64()),  # part of cache_write (Anthropic)
        pa.field("output_tokens", pa.int64()),
        pa.field("reasoning_output_tokens", pa.int64()),
        pa.field("service_tier", pa.string()),  # as served, from the response
        pa.field("is_batch", pa.bool_()),
        pa.field("is_streaming", pa.bool_()),
        pa.field("is_usage_missing", pa.bool_()),
        pa.field("feature", pa.string()),
        pa.field("team", pa.string()),
        pa.field("user_id", pa.string()),
        pa.field("session_id", pa.string()),
        pa.field("convention", pa.string()),  # which instrumentation's names were found
        pa.field("attributes_json", pa.string()),  # attributes not mapped above, for reprocessing
        pa.field("kafka_topic", pa.string(), nullable=False),
        pa.field("kafka_partition", pa.int32(), nullable=False),
        pa.field("kafka_offset", pa.int64(), nullable=False),
    ]
)

REJECTS_DATASET = "rejects"
REJECT_REASON_COLUMN = "reject_reason"
REJECTS_SCHEMA = LLM_CALLS_SCHEMA.append(
    pa.field(REJECT_REASON_COLUMN, pa.string(), nullable=False)  # one of `rejects.REASONS`
)
