"""``POST /v1/embeddings``.

Vectors are deterministic unit vectors seeded by the input text. The SDK asks for
``encoding_format="base64"`` by default (little-endian float32) and decodes it itself, so both
encodings are served. Usage has only ``prompt_tokens`` and ``total_tokens``; a usage override's
``input_tokens`` replaces them and its other counts are ignored (embeddings have no output).
"""

from __future__ import annotations

import base64
import math
import random
import struct
from typing import Any, Final

from llmledger.simulator.errors import ApiError
from llmledger.simulator.protocol import JsonReply, Reply, SimRequest, require_string
from llmledger.simulator.synthesis import estimate_tokens, seed_of

_DEFAULT_DIMENSIONS: Final = {"text-embedding-3-large": 3072}
_FALLBACK_DIMENSIONS: Final = 1536
_MAX_DIMENSIONS: Final = 8192


def create_embeddings(request: SimRequest) -> Reply:
    """Answer one embeddings request."""
    body = request.body
    model = require_string(body, "model", "you must provide a model parameter")
    inputs = _inputs(body.get("input"))
    dimensions = _dimensions(body.get("dimensions"), model)
    encoding = body.get("encoding_format", "float")
    if encoding not in ("float", "base64"):
        raise ApiError(
            f"Invalid value for 'encoding_format': {encoding!r}. Supported values are: "
            "'float' and 'base64'.",
            param="encoding_format",
        )
    data = []
    for index, text in enumerate(inputs):
        vector = _unit_vector(text, dimensions)
        encoded: Any = vector
        if encoding == "base64":
            encoded = base64.b64encode(struct.pack(f"<{dimensions}f", *vector)).decode("ascii")
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    prompt_tokens = sum(max(1, estimate_tokens(text)) for text in inputs)
    if request.usage_override is not None:
        prompt_tokens = request.usage_override.input_tokens
    return JsonReply(
        {
            "object": "list",
            "data": data,
            "model": model,
            "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
        }
    )


def _inputs(value: Any) -> list[str]:
    """Input texts; token-id arrays are accepted and rendered as their decimal text."""
    if isinstance(value, str) and value:
        return [value]
    if isinstance(value, list) and value:
        if all(isinstance(item, str) and item for item in value):
            return list(value)
        if all(isinstance(item, int) for item in value):
            return [" ".join(map(str, value))]
        if all(isinstance(item, list) and item for item in value):
            return [" ".join(map(str, item)) for item in value]
    raise ApiError(
        "'input' must be a non-empty string, array of strings, or array of token arrays.",
        param="input",
    )


def _dimensions(value: Any, model: str) -> int:
    if value is None:
        return _DEFAULT_DIMENSIONS.get(model, _FALLBACK_DIMENSIONS)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _MAX_DIMENSIONS:
        raise ApiError(
            f"Invalid 'dimensions': expected an integer from 1 to {_MAX_DIMENSIONS}.",
            param="dimensions",
        )
    return int(value)


def _unit_vector(text: str, dimensions: int) -> list[float]:
    generator = random.Random(seed_of(text))
    raw = [generator.gauss(0.0, 1.0) for _ in range(dimensions)]
    norm = math.sqrt(sum(component * component for component in raw)) or 1.0
    return [component / norm for component in raw]
