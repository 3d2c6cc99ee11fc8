"""Where Anthropic ``cache_control`` breakpoints split a prompt (see ``anthropic_messages``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llmledger.simulator.errors import ApiError
from llmledger.simulator.synthesis import collect_text, estimate_tokens


@dataclass(frozen=True)
class CacheSplit:
    """Token counts of a prompt: total, read from cache, newly written (and whether 1-hour)."""

    total: int
    read: int
    written: int
    one_hour: bool


@dataclass(frozen=True)
class _Unit:
    texts: list[str]
    marker: dict[str, Any] | None


def cache_split(tools: Any, system: Any, messages: list[Any]) -> CacheSplit:
    """Split the prompt at its cache breakpoints, in Anthropic's tools-system-messages order."""
    units = [_unit(tool) for tool in _as_list(tools, "tools")]
    units += [_unit(block) for block in _system_blocks(system)]
    for message in messages:
        if not isinstance(message, dict):
            raise ApiError("messages: each message must be an object", param="messages")
        content = message.get("content")
        blocks = content if isinstance(content, list) else [content]
        units += [_unit(block) for block in blocks]
    texts = [text for unit in units for text in unit.texts]
    total = max(1, estimate_tokens("\n".join(texts)))
    marked = [index for index, unit in enumerate(units) if unit.marker is not None]
    if not marked:
        return CacheSplit(total=total, read=0, written=0, one_hour=False)
    read = _prefix_tokens(units, marked[0])
    written = _prefix_tokens(units, marked[-1]) - read
    last_marker = units[marked[-1]].marker or {}
    return CacheSplit(total, read, written, one_hour=last_marker.get("ttl") == "1h")


def _prefix_tokens(units: list[_Unit], last_index: int) -> int:
    """Tokens of the prompt up to and including ``units[last_index]``."""
    return estimate_tokens(
        "\n".join(text for unit in units[: last_index + 1] for text in unit.texts)
    )


def _unit(block: Any) -> _Unit:
    marker = block.get("cache_control") if isinstance(block, dict) else None
    if marker is not None and not isinstance(marker, dict):
        raise ApiError("cache_control: Input should be an object", param="cache_control")
    return _Unit(collect_text(block), marker)


def _system_blocks(system: Any) -> list[Any]:
    if system is None:
        return []
    if isinstance(system, str):
        return [system]
    if isinstance(system, list):
        return system
    raise ApiError("system: Input should be a string or a list of content blocks", param="system")


def _as_list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ApiError(f"{name}: Input should be a valid list", param=name)
    return value
