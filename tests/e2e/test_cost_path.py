"""The whole chain, for real: instrumented SDK calls -> OTLP/HTTP gateway -> Kafka ->
consumer -> Parquet lake -> dbt build -> cost marts, with exact DECIMAL costs.

The expected costs are computed here, by hand, from the providers' published prices and
billing rules; the warehouse must agree to the last decimal place.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import anthropic
import duckdb
import openai
import pytest

from llmledger.infra.kafka import ensure_topics
from llmledger.infra.settings import Settings
from llmledger.instrumentation import (
    AnthropicInstrumentor,
    GoogleGenAIInstrumentor,
    OpenAIInstrumentor,
    attribute,
    configure,
)
from llmledger.orchestration import build_warehouse
from llmledger.pipelines import ingest
from llmledger.pipelines.gateway import Gateway
from llmledger.simulator import USAGE_HEADER, Simulator

MILLION = Decimal(1_000_000)
# Published list prices, USD per 1M tokens: input, cache read, 5-minute write, 1-hour write, output.
PRICES = {
    "gpt-4o-mini": (Decimal("0.15"), Decimal("0.075"), Decimal(0), Decimal(0), Decimal("0.60")),
    "gpt-4.1": (Decimal("2.00"), Decimal("0.50"), Decimal(0), Decimal(0), Decimal("8.00")),
    "claude-haiku-4-5": (
        Decimal("1.00"),
        Decimal("0.10"),
        Decimal("1.25"),
        Decimal("2.00"),
        Decimal("5.00"),
    ),
}


@dataclass(frozen=True)
class Call:
    feature: str
    team: str
    user: str
    provider: str
    model: str
    stream: bool
    input: int  # total, including cache
    cache_read: int = 0
    cache_write: int = 0
    cache_write_1h: int = 0
    output: int = 0  # total, including reasoning
    reasoning: int = 0

    def expected_cost(self) -> Decimal | None:
        if self.model not in PRICES:
            return None  # unpriced: NULL, never $0
        price_in, price_read, price_5m, price_1h, price_out = PRICES[self.model]
        uncached = self.input - self.cache_read - self.cache_write
        write_5m = self.cache_write - self.cache_write_1h
        dollars = (
            uncached * price_in
            + self.cache_read * price_read
            + write_5m * price_5m
            + self.cache_write_1h * price_1h
            + self.output * price_out
        )
        return dollars / MILLION


CALLS = [
    Call(
        "checkout-assist",
        "payments",
        "alice",
        "openai",
        "gpt-4o-mini",
        False,
        10_000,
        4_000,
        output=1_000,
    ),
    Call("checkout-assist", "payments", "bob", "openai", "gpt-4o-mini", True, 2_000, output=500),
    Call(
        "checkout-assist",
        "payments",
        "carol",
        "openai",
        "gpt-4.1",
        False,
        3_000,
        1_024,
        output=900,
        reasoning=0,
    ),
    Call(
        "search-summary",
        "search",
        "alice",
        "anthropic",
        "claude-haiku-4-5",
        False,
        50_000,
        30_000,
        10_000,
        4_000,
        output=2_000,
    ),
    Call(
        "search-summary", "search", "bob", "anthropic", "claude-haiku-4-5", True, 1_000, output=800
    ),
    Call("search-summary", "search", "carol", "openai", "acme-private-7b", False, 500, output=100),
]


def _make(call: Call, sim: Simulator) -> None:
    usage = {
        "input_tokens": call.input,
        "cache_read_tokens": call.cache_read,
        "cache_write_tokens": call.cache_write,
        "cache_write_1h_tokens": call.cache_write_1h,
        "output_tokens": call.output,
        "reasoning_tokens": call.reasoning,
    }
    headers = {USAGE_HEADER: json.dumps(usage)}
    messages = [{"role": "user", "content": f"{call.feature} for {call.user}"}]
    if call.provider == "openai":
        client = openai.OpenAI(base_url=sim.openai_base_url, api_key="test", max_retries=0)
        response = client.chat.completions.create(
            model=call.model, messages=messages, stream=call.stream, extra_headers=headers
        )  # type: ignore[call-overload]
    else:
        claude = anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key="test", max_retries=0)
        response = claude.messages.create(
            model=call.model,
            max_tokens=4096,
            messages=messages,
            stream=call.stream,  # type: ignore[call-overload]
            extra_headers=headers,
        )
    if call.stream:
        for _chunk in response:
            pass


@pytest.fixture(scope="module")
def warehouse(
    tmp_path_factory: pytest.TempPathFactory, kafka_bootstrap: str
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Runs the chain once for the module; each test reads the same warehouse."""
    topic = f"e2e-{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka_bootstrap, {topic: 2})
    settings = Settings.from_env(
        {
            "LLMLEDGER_HOME": str(tmp_path_factory.mktemp("e2e")),
            "LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "LLMLEDGER_TOPIC": topic,
        }
    )
    with Simulator() as sim, Gateway(settings, port=0) as gateway:
        provider = configure(service_name="checkout-api", endpoint=gateway.url)
        try:
            for call in CALLS:
                with attribute(
                    feature=call.feature,
                    team=call.team,
                    user_id=call.user,
                    session_id=f"{call.user}-session",
                ):
                    _make(call, sim)
        finally:
            provider.shutdown()  # flushes every span through the gateway to Kafka
            for instrumentor in (
                OpenAIInstrumentor,
                AnthropicInstrumentor,
                GoogleGenAIInstrumentor,
            ):
                instrumentor().uninstrument()
    stats = ingest.run(settings, until_caught_up=True, group_id=f"e2e-{settings.topic}")
    # The lake keeps every billable-looking span: the anthropic SDK (2.x) adds its own span
    # for each call beside ours. The warehouse must still bill each call once.
    assert stats.llm_rows_written >= len(CALLS)
    build_warehouse(settings)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        yield con


def _expected_by(key: str) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for call in CALLS:
        cost = call.expected_cost()
        if cost is not None:
            totals[getattr(call, key)] += cost
    return dict(totals)


def test_each_call_is_priced_exactly(warehouse: duckdb.DuckDBPyConnection) -> None:
    rows = warehouse.execute("""
        select feature, user_id, team, session_id, service_name, provider, input_tokens,
               cache_read_input_tokens, cache_write_input_tokens, output_tokens, cost_usd,
               is_priced, typeof(cost_usd)
        from fct_llm_calls""").fetchall()
    by_user_feature = {(r[0], r[1]): r for r in rows}
    assert len(rows) == len(CALLS)
    for call in CALLS:
        row = by_user_feature[(call.feature, call.user)]
        assert row[2:10] == (
            call.team,
            f"{call.user}-session",
            "checkout-api",
            call.provider,
            call.input,
            call.cache_read,
            call.cache_write,
            call.output,
        )
        assert row[10] == call.expected_cost()
        assert row[11] is (call.expected_cost() is not None)
        assert row[12].startswith("DECIMAL")


def test_cost_per_feature_user_and_model(warehouse: duckdb.DuckDBPyConnection) -> None:
    for mart, column, key in (
        ("cost_by_feature_daily", "feature", "feature"),
        ("cost_by_user_daily", "user_id", "user"),
        ("cost_by_model_daily", "model", "model"),
    ):
        got = dict(
            warehouse.execute(
                f"select {column}, sum(cost_usd) from {mart} "
                "group by 1 having sum(cost_usd) is not null"
            ).fetchall()
        )
        assert got == _expected_by(key), mart


def test_unknown_model_is_unpriced_not_free(warehouse: duckdb.DuckDBPyConnection) -> None:
    unpriced = warehouse.execute("select provider, model, calls from unpriced_models").fetchall()
    assert unpriced == [("openai", "acme-private-7b", 1)]
    cost = warehouse.execute(
        "select cost_usd from cost_by_model_daily where model = 'acme-private-7b'"
    ).fetchone()
    assert cost == (None,)
