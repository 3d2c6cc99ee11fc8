"""Deterministic reply text and default usage, derived only from the request content.

Rules (documented because tests and benchmarks rely on them):

- Prompt tokens: one token per 4 characters of the request's text (rounded up).
- Automatic (implicit) caching, for providers that have it: a prompt of at least 2048 tokens is
  treated as half served from a warm cache, in 128-token blocks.
- Reply: ``8 + seed % 25`` words, one token per word, where ``seed`` is a SHA-256 digest of the
  prompt text; so the same request always yields the same text and usage.
- Reasoning (when the provider module decides the request reasons): ``48 + (seed >> 8) % 80``
  tokens, capped by any thinking budget.
- An output cap (``max_tokens`` and friends) first limits reasoning to half the cap, then the
  reply to the rest; hitting the cap marks the completion as truncated.
- With a usage override, its numbers are used verbatim and the reply has as many words as the
  visible output tokens, bounded by :data:`MAX_REPLY_WORDS` to keep responses small.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from llmledger.simulator.usage import NeutralUsage

MAX_REPLY_WORDS: Final = 256
MAX_STREAM_PIECES: Final = 8
_WORDS_PER_PIECE: Final = 12
_IMPLICIT_CACHE_MIN_PROMPT: Final = 2048
_CACHE_BLOCK: Final = 128
_VOCABULARY: Final = (
    "ledger", "token", "cost", "cache", "model", "stream", "budget", "invoice", "usage", "span",
    "trace", "tier", "price", "batch", "prompt", "reply", "account", "team", "feature", "metric",
    "window", "reason", "output", "input", "vector", "request", "answer", "signal", "record",
    "quota", "estimate", "total",
)  # fmt: skip
# Keys whose string values describe structure rather than content; they are not "prompt text".
_STRUCTURAL_KEYS: Final = frozenset(
    {"type", "role", "id", "ttl", "detail", "mime_type", "mimeType", "media_type", "cache_control"}
)


def estimate_tokens(text: str) -> int:
    """Token count of ``text`` under the simulator's one-token-per-4-characters rule."""
    return -(-len(text) // 4)


def implicit_cache_tokens(prompt_tokens: int) -> int:
    """Cached tokens the simulator reports for an automatically cached prompt of this size."""
    if prompt_tokens < _IMPLICIT_CACHE_MIN_PROMPT:
        return 0
    return prompt_tokens // 2 // _CACHE_BLOCK * _CACHE_BLOCK


def collect_text(node: Any) -> list[str]:
    """Every content string inside a JSON request fragment, in document order."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [text for item in node for text in collect_text(item)]
    if isinstance(node, dict):
        return [
            text
            for key, value in node.items()
            if key not in _STRUCTURAL_KEYS
            for text in collect_text(value)
        ]
    return []


def prompt_text(fragments: Iterable[Any]) -> str:
    """The request's text content, joined, from the given JSON fragments (``None`` skipped)."""
    return "\n".join(text for fragment in fragments for text in collect_text(fragment))


def seed_of(text: str) -> int:
    """A stable 64-bit seed for ``text``."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


@dataclass(frozen=True)
class Completion:
    """What the simulated model "generated": the usage to report and the visible reply."""

    usage: NeutralUsage
    text: str
    truncated: bool

    def pieces(self) -> list[str]:
        """The reply split into stream deltas: count proportional to its length, at most 8."""
        words = self.text.split(" ") if self.text else [""]
        count = min(MAX_STREAM_PIECES, max(1, -(-len(words) // _WORDS_PER_PIECE)))
        size = -(-len(words) // count)
        groups = [words[start : start + size] for start in range(0, len(words), size)]
        # Each piece after the first carries its leading space so the pieces concatenate exactly.
        return [("" if index == 0 else " ") + " ".join(group) for index, group in enumerate(groups)]


def reply_text(seed: int, words: int) -> str:
    """``words`` deterministic vocabulary words (bounded by :data:`MAX_REPLY_WORDS`)."""
    generator = random.Random(seed)
    return " ".join(generator.choice(_VOCABULARY) for _ in range(min(words, MAX_REPLY_WORDS)))


def plan_completion(
    *,
    prompt: str,
    input_side: NeutralUsage,
    reasoning: bool,
    reasoning_budget: int | None,
    max_output_tokens: int | None,
    override: NeutralUsage | None,
) -> Completion:
    """Decide usage and reply for one request.

    ``input_side`` carries the provider module's default input-side numbers (total input,
    cache reads and writes, served tier; its output fields are ignored). ``override``, when
    present, replaces everything except a missing service tier.
    """
    seed = seed_of(prompt)
    tier = input_side.service_tier or "default"
    if override is not None:
        usage = override.with_default_tier(tier)
        return Completion(usage, reply_text(seed, usage.visible_output_tokens), truncated=False)
    visible = 8 + seed % 25
    thinking = 48 + (seed >> 8) % 80 if reasoning else 0
    if reasoning_budget is not None:
        thinking = min(thinking, reasoning_budget)
    truncated = False
    if max_output_tokens is not None and visible + thinking > max_output_tokens:
        truncated = True
        thinking = min(thinking, max_output_tokens // 2)
        visible = min(visible, max_output_tokens - thinking)
    usage = NeutralUsage(
        input_tokens=input_side.input_tokens,
        cache_read_tokens=input_side.cache_read_tokens,
        cache_write_tokens=input_side.cache_write_tokens,
        cache_write_1h_tokens=input_side.cache_write_1h_tokens,
        output_tokens=visible + thinking,
        reasoning_tokens=thinking,
        service_tier=tier,
    )
    return Completion(usage, reply_text(seed, visible), truncated)
