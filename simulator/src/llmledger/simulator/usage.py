"""Provider-neutral token usage and the per-request override header.

A test or benchmark that needs exact numbers sends ``x-llmledger-sim-usage`` with a JSON object in
the neutral terms of :class:`NeutralUsage`; each provider module translates them into that
provider's own (differently defined) usage fields. Totals always include their parts, as in the
OpenTelemetry GenAI conventions: ``input_tokens`` includes cache reads and writes, ``output_tokens``
includes reasoning.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from typing import Any, Final

USAGE_HEADER: Final = "x-llmledger-sim-usage"
LATENCY_HEADER: Final = "x-llmledger-sim-latency-ms"

_REQUIRED_KEYS: Final = ("input_tokens", "output_tokens")


class SimHeaderError(ValueError):
    """A simulator control header (usage override or latency) is invalid."""


@dataclass(frozen=True)
class NeutralUsage:
    """Token usage of one call, independent of any provider's reporting rules.

    ``service_tier`` is the tier actually served; ``None`` means "the provider's default for the
    request" and is resolved by the provider module.
    """

    input_tokens: int
    output_tokens: int
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cache_write_1h_tokens: int = 0
    reasoning_tokens: int = 0
    service_tier: str | None = None

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name == "service_tier":
                if value is not None and (not isinstance(value, str) or not value):
                    raise SimHeaderError("service_tier must be a non-empty string")
            elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise SimHeaderError(f"{field.name} must be a non-negative integer, got {value!r}")
        if self.cache_read_tokens + self.cache_write_tokens > self.input_tokens:
            raise SimHeaderError(
                "cache_read_tokens + cache_write_tokens must not exceed input_tokens "
                f"({self.cache_read_tokens} + {self.cache_write_tokens} > {self.input_tokens})"
            )
        if self.cache_write_1h_tokens > self.cache_write_tokens:
            raise SimHeaderError("cache_write_1h_tokens must not exceed cache_write_tokens")
        if self.reasoning_tokens > self.output_tokens:
            raise SimHeaderError("reasoning_tokens must not exceed output_tokens")

    @property
    def uncached_input_tokens(self) -> int:
        """Input tokens neither read from nor written to a cache."""
        return self.input_tokens - self.cache_read_tokens - self.cache_write_tokens

    @property
    def cache_write_5m_tokens(self) -> int:
        """Cache writes with the short (5-minute) time to live."""
        return self.cache_write_tokens - self.cache_write_1h_tokens

    @property
    def visible_output_tokens(self) -> int:
        """Output tokens that are not reasoning."""
        return self.output_tokens - self.reasoning_tokens

    def with_default_tier(self, tier: str) -> NeutralUsage:
        """This usage, with ``tier`` as the served tier unless one is already set."""
        return self if self.service_tier is not None else replace(self, service_tier=tier)


def parse_usage_override(raw: str) -> NeutralUsage:
    """Parse the ``x-llmledger-sim-usage`` header value.

    ``input_tokens`` and ``output_tokens`` are required; the other counts default to 0 and
    ``service_tier`` to the provider's default. Unknown keys are rejected so a typo cannot
    silently fall back to zero.
    """
    try:
        parsed: Any = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SimHeaderError(f"{USAGE_HEADER} is not valid JSON: {exc.msg}") from exc
    if not isinstance(parsed, dict):
        raise SimHeaderError(f"{USAGE_HEADER} must be a JSON object")
    allowed = {field.name for field in fields(NeutralUsage)}
    unknown = sorted(set(parsed) - allowed)
    if unknown:
        raise SimHeaderError(
            f"{USAGE_HEADER} has unknown keys {unknown}; allowed keys are {sorted(allowed)}"
        )
    missing = [key for key in _REQUIRED_KEYS if key not in parsed]
    if missing:
        raise SimHeaderError(f"{USAGE_HEADER} is missing required keys {missing}")
    try:
        return NeutralUsage(**parsed)
    except SimHeaderError as exc:
        raise SimHeaderError(f"{USAGE_HEADER}: {exc}") from exc


def parse_latency_ms(raw: str) -> int:
    """Parse the ``x-llmledger-sim-latency-ms`` header: an integer from 0 to 60000."""
    try:
        value = int(raw.strip())
    except ValueError as exc:
        raise SimHeaderError(f"{LATENCY_HEADER} must be an integer, got {raw!r}") from exc
    if not 0 <= value <= 60_000:
        raise SimHeaderError(f"{LATENCY_HEADER} must be between 0 and 60000, got {value}")
    return value
