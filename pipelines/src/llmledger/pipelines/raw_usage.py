"""Counts inside a provider's usage object, as Logfire records it (`gen_ai.usage.raw`).

Logfire keeps cache and reasoning detail only there; `conventions.RAW_USAGE_*` name the
paths inside OpenAI chat / Responses and Anthropic usage objects.
"""

from __future__ import annotations

import json
from typing import Any

from llmledger.pipelines.attribute_values import as_count


def fill_from_raw_usage(
    best: list[Any], raw: Any, slots: tuple[tuple[int, tuple[tuple[str, ...], ...]], ...]
) -> None:
    """Fill the empty `best[slot]` of each (slot, paths) from the usage object `raw`."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            return
    if not isinstance(raw, dict):
        return
    for slot, paths in slots:
        if best[slot] is None:
            best[slot] = _dig(raw, paths)


def _dig(usage: dict[str, Any], paths: tuple[tuple[str, ...], ...]) -> int | None:
    for path in paths:
        node: Any = usage
        for step in path:
            node = node.get(step) if isinstance(node, dict) else None
        count = as_count(node)
        if count is not None:
            return count
    return None
