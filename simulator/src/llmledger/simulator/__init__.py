"""A local HTTP server that answers like the OpenAI, Anthropic and Google Gemini APIs.

The only simulated part of llmledger: the official SDKs talk to it unchanged through their
``base_url``. It is deterministic (the same request always reports the same usage, derived from
the request text) and faithful to each provider's wire format and usage semantics.

Endpoints: OpenAI ``/v1/chat/completions``, ``/v1/responses``, ``/v1/embeddings``; Anthropic
``/v1/messages``; Gemini ``/{v1,v1beta}/models/{model}:generateContent`` and
``:streamGenerateContent`` (``?alt=sse``); ``GET /health``.

Control headers (per request):

- ``x-llmledger-sim-usage``: JSON object of provider-neutral usage (``input_tokens`` and
  ``output_tokens`` required; ``cache_read_tokens``, ``cache_write_tokens``,
  ``cache_write_1h_tokens``, ``reasoning_tokens``, ``service_tier`` optional), translated into
  each provider's own fields. Invalid values get a 400 in the provider's error shape.
- ``x-llmledger-sim-latency-ms``: sleep this long (0-60000 ms) before answering.

Usage::

    from llmledger.simulator import Simulator, USAGE_HEADER
    with Simulator() as sim:
        client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
"""

from llmledger.simulator.catalog import ANTHROPIC_SNAPSHOTS, OPENAI_SNAPSHOTS
from llmledger.simulator.runner import Simulator, serve
from llmledger.simulator.usage import LATENCY_HEADER, USAGE_HEADER, NeutralUsage

__all__ = [
    "ANTHROPIC_SNAPSHOTS",
    "LATENCY_HEADER",
    "OPENAI_SNAPSHOTS",
    "USAGE_HEADER",
    "NeutralUsage",
    "Simulator",
    "serve",
]
