"""The demo's company: services, features, teams, users and the calls they make.

`plan_calls()` is pure and seeded, so the same arguments always give the same calls: the
demo's report is reproducible, and tests can check the plan without running anything.
Token counts are drawn from a sample of a real production trace (see data/README.md);
volume grows over the period and dips at weekends, as real product traffic does.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Feature:
    name: str
    service: str
    team: str
    provider: str
    model: str
    workload: str  # which trace sample the sizes come from: "conv" or "code"
    share: float  # fraction of all calls
    streaming_rate: float
    cached_prefix_tokens: int  # shared system prompt that providers cache after the first call
    reasoning_rate: float = 0.0  # fraction of output spent on reasoning, for reasoning models
    service_tier: str | None = None  # tier the provider serves, when not the default


FEATURES: tuple[Feature, ...] = (
    Feature(
        "ticket-triage", "support-bot", "support", "openai", "gpt-4o-mini", "conv", 0.26, 0.0, 1024
    ),
    Feature(
        "reply-draft",
        "support-bot",
        "support",
        "anthropic",
        "claude-sonnet-4-5",
        "conv",
        0.14,
        0.8,
        2048,
    ),
    Feature(
        "code-review",
        "code-assistant",
        "devtools",
        "openai",
        "gpt-5-mini",
        "code",
        0.12,
        0.0,
        4096,
        0.4,
    ),
    Feature(
        "autocomplete",
        "code-assistant",
        "devtools",
        "openai",
        "gpt-4.1-mini",
        "code",
        0.24,
        1.0,
        0,
        0.0,
        "priority",
    ),
    Feature("answer-search", "search-api", "search", "openai", "gpt-4.1", "conv", 0.10, 0.5, 1024),
    Feature(
        "summarize", "search-api", "search", "anthropic", "claude-haiku-4-5", "conv", 0.12, 0.0, 0
    ),
    # A fine-tuned model missing from the public catalogue: the report must show it unpriced.
    Feature(
        "intent-classify",
        "support-bot",
        "support",
        "openai",
        "ft:gpt-4.1-nano-2025-04-14:acme:intent:7fa1c2",
        "conv",
        0.02,
        0.0,
        0,
    ),
)
TEAM_SIZES = {"support": 26, "devtools": 22, "search": 12}
WEEKEND_FACTOR = 0.45
GROWTH_OVER_PERIOD = 0.8  # the last day carries 80% more traffic than the first


@dataclass(frozen=True)
class PlannedCall:
    """One LLM call: who makes it, when (simulated), and what the provider will report."""

    service: str
    feature: str
    team: str
    user_id: str
    session_id: str
    provider: str
    model: str
    called_at: datetime
    stream: bool
    input_tokens: int  # total prompt, including cache read and write
    cache_read_tokens: int
    cache_write_tokens: int
    output_tokens: int  # total output, including reasoning
    reasoning_tokens: int
    service_tier: str | None


@cache
def _token_sample() -> dict[str, list[tuple[int, int]]]:
    text = resources.files("llmledger.demo").joinpath("data/azure_llm_token_sample.csv").read_text()
    sample: dict[str, list[tuple[int, int]]] = {}
    for row in csv.DictReader(text.splitlines()):
        pair = (int(row["context_tokens"]), max(1, int(row["generated_tokens"])))
        sample.setdefault(row["workload"], []).append(pair)
    return sample


def _users() -> dict[str, list[str]]:
    return {
        team: [f"{team}-user-{n:02d}" for n in range(size)] for team, size in TEAM_SIZES.items()
    }


def _daily_weights(days: int, end: datetime) -> list[tuple[datetime, float]]:
    start = end - timedelta(days=days)
    weights = []
    for d in range(days):
        day = start + timedelta(days=d)
        growth = 1.0 + GROWTH_OVER_PERIOD * d / max(days - 1, 1)
        weekend = WEEKEND_FACTOR if day.weekday() >= 5 else 1.0
        weights.append((day, growth * weekend))
    return weights


def plan_calls(
    calls: int, days: int = 30, seed: int = 7, end: datetime | None = None
) -> list[PlannedCall]:
    """`calls` calls spread over the `days` days before `end` (default: today, 00:00 UTC)."""
    rng = random.Random(seed)
    end = end or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    weighted_days = _daily_weights(days, end)
    day_picks = rng.choices([d for d, _ in weighted_days], [w for _, w in weighted_days], k=calls)
    feature_picks = rng.choices(FEATURES, [f.share for f in FEATURES], k=calls)
    users = _users()
    # A few heavy users dominate real usage: Zipf-like weights within each team.
    user_weights = {t: [1.0 / (rank + 1) for rank in range(len(u))] for t, u in users.items()}
    plan = []
    for day, feature in zip(day_picks, feature_picks, strict=True):
        user = rng.choices(users[feature.team], user_weights[feature.team])[0]
        # Business hours are busier; a session is one user's work on a feature within an hour.
        hour = min(23, max(0, int(rng.gauss(14, 4))))
        called_at = day + timedelta(hours=hour, seconds=rng.uniform(0, 3600))
        session_id = f"{user}-{feature.name}-{called_at:%Y%m%d%H}"
        prompt, generated = rng.choice(_token_sample()[feature.workload])
        plan.append(_call(rng, feature, user, session_id, called_at, prompt, generated))
    plan.sort(key=lambda c: c.called_at)
    return plan


def _call(
    rng: random.Random,
    feature: Feature,
    user: str,
    session_id: str,
    called_at: datetime,
    prompt: int,
    generated: int,
) -> PlannedCall:
    prefix = feature.cached_prefix_tokens
    input_tokens = prompt + prefix
    # Providers cache a prefix on first sight (Anthropic bills that as a cache write) and
    # serve it from cache on most later calls.
    cache_hit = prefix > 0 and rng.random() < 0.7
    cache_write = prefix if prefix and not cache_hit and feature.provider == "anthropic" else 0
    reasoning = int(generated * 3 * feature.reasoning_rate)
    return PlannedCall(
        service=feature.service,
        feature=feature.name,
        team=feature.team,
        user_id=user,
        session_id=session_id,
        provider=feature.provider,
        model=feature.model,
        called_at=called_at,
        stream=rng.random() < feature.streaming_rate,
        input_tokens=input_tokens,
        cache_read_tokens=prefix if cache_hit else 0,
        cache_write_tokens=cache_write,
        output_tokens=generated + reasoning,
        reasoning_tokens=reasoning,
        service_tier=feature.service_tier,
    )
