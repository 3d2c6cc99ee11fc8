"""Model names the simulator reports back, and which models reason by default.

Real providers answer an alias with the dated snapshot that served it (OpenAI: ``gpt-4o-mini``
-> ``gpt-4o-mini-2024-07-18``; Anthropic: ``claude-sonnet-4-5`` -> ``claude-sonnet-4-5-20250929``),
which is why instrumentation must keep request and response model apart. The tables below make
that deterministic; a model not listed is echoed unchanged, as is any already-dated name.
Gemini reports ``modelVersion`` equal to the requested model.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

OPENAI_SNAPSHOTS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "gpt-4o": "gpt-4o-2024-08-06",
        "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
        "gpt-4.1": "gpt-4.1-2025-04-14",
        "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
        "gpt-4.1-nano": "gpt-4.1-nano-2025-04-14",
        "gpt-5": "gpt-5-2025-08-07",
        "gpt-5-mini": "gpt-5-mini-2025-08-07",
        "gpt-5-nano": "gpt-5-nano-2025-08-07",
        "o3": "o3-2025-04-16",
        "o3-mini": "o3-mini-2025-01-31",
        "o4-mini": "o4-mini-2025-04-16",
    }
)

ANTHROPIC_SNAPSHOTS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "claude-opus-4-1": "claude-opus-4-1-20250805",
        "claude-opus-4-0": "claude-opus-4-20250514",
        "claude-opus-4-5": "claude-opus-4-5-20251101",
        "claude-sonnet-4-5": "claude-sonnet-4-5-20250929",
        "claude-sonnet-4-0": "claude-sonnet-4-20250514",
        "claude-haiku-4-5": "claude-haiku-4-5-20251001",
        "claude-3-7-sonnet-latest": "claude-3-7-sonnet-20250219",
        "claude-3-5-haiku-latest": "claude-3-5-haiku-20241022",
    }
)

# OpenAI models that always spend reasoning tokens (prefix match on the requested name).
_OPENAI_REASONING_PREFIXES: Final = ("o1", "o3", "o4", "gpt-5")
# ...except these, which are chat-tuned and do not reason unless asked.
_OPENAI_NON_REASONING_PREFIXES: Final = ("gpt-5-chat",)
# Gemini families that think by default (a thinking budget of 0 turns it off).
_GEMINI_THINKING_MARKERS: Final = ("gemini-2.5", "gemini-3")


def openai_response_model(requested: str) -> str:
    """The model name OpenAI would report for a request naming ``requested``."""
    return OPENAI_SNAPSHOTS.get(requested, requested)


def anthropic_response_model(requested: str) -> str:
    """The model name Anthropic would report for a request naming ``requested``."""
    return ANTHROPIC_SNAPSHOTS.get(requested, requested)


def openai_reasons_by_default(model: str) -> bool:
    """Whether an OpenAI model spends reasoning tokens without being asked to."""
    return model.startswith(_OPENAI_REASONING_PREFIXES) and not model.startswith(
        _OPENAI_NON_REASONING_PREFIXES
    )


def gemini_thinks_by_default(model: str) -> bool:
    """Whether a Gemini model spends thinking tokens unless its budget is set to 0."""
    return any(marker in model for marker in _GEMINI_THINKING_MARKERS)
