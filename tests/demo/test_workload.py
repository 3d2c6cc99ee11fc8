"""The demo's plan must tell the story the README promises: several services, features,
teams, users and models, growth, a weekly rhythm, streaming and cache hits."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from llmledger.demo.workload import FEATURES, plan_calls

END = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday


def test_plan_is_deterministic() -> None:
    assert plan_calls(500, end=END) == plan_calls(500, end=END)
    assert plan_calls(500, end=END) != plan_calls(500, end=END, seed=8)


def test_plan_covers_the_company() -> None:
    plan = plan_calls(6000, end=END)
    assert len(plan) == 6000
    assert len({c.service for c in plan}) >= 3
    assert len({c.feature for c in plan}) >= 5
    assert len({c.team for c in plan}) >= 3
    assert len({c.user_id for c in plan}) >= 50
    assert len({c.model for c in plan}) >= 3
    assert {c.provider for c in plan} >= {"openai", "anthropic"}


def test_calls_fall_within_the_period_and_grow() -> None:
    plan = plan_calls(6000, days=30, end=END)
    assert min(c.called_at for c in plan) >= END - timedelta(days=30)
    assert max(c.called_at for c in plan) < END
    weeks = Counter((END - c.called_at).days // 7 for c in plan)
    assert weeks[0] > weeks[3]  # the most recent week is busier than the first full one


def test_weekends_are_quieter() -> None:
    plan = plan_calls(6000, days=28, end=END)
    per_weekday = Counter(c.called_at.weekday() for c in plan)
    assert max(per_weekday[5], per_weekday[6]) < min(per_weekday[d] for d in range(5))


def test_token_counts_are_consistent() -> None:
    plan = plan_calls(3000, end=END)
    for call in plan:
        assert call.cache_read_tokens + call.cache_write_tokens <= call.input_tokens
        assert 0 <= call.reasoning_tokens < call.output_tokens
    assert any(c.stream for c in plan)
    assert any(c.cache_read_tokens for c in plan)
    assert any(c.cache_write_tokens for c in plan if c.provider == "anthropic")
    assert any(c.reasoning_tokens for c in plan)


def test_feature_shares_sum_to_one() -> None:
    assert abs(sum(f.share for f in FEATURES) - 1.0) < 1e-9
