"""How a reported model name finds its catalogue model, as genai-prices finds it.

genai-prices matches a model reference with a tree of clauses (equals, starts_with,
ends_with, contains, regex, or, and) and takes the first matching model of the provider,
then of the provider's fallback providers (Azure serves OpenAI's models, Vertex
Anthropic's). Each tree becomes rows of simple tests in disjunctive normal form: a model
matches when, for one `conjunction`, every test of that conjunction passes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from genai_prices import types as gp
from genai_prices.data import providers as genai_providers


@dataclass(frozen=True)
class ModelPattern:
    provider: str
    model: str
    model_rank: int  # genai-prices takes the first match in the provider's list
    conjunction: int
    match_kind: str  # equals, starts_with, ends_with, contains or regex (RE2)
    pattern: str  # matched against the lower-cased model reference
    is_negated: bool  # the reference must NOT match (RE2 has no negative lookahead)


@dataclass(frozen=True)
class ProviderAlias:
    """A provider of the lake (`provider`) priced with a catalogue provider's models."""

    provider_pattern: str  # RE2 on the lake's provider name
    price_provider: str
    provider_rank: int  # 0: the provider itself, then its fallbacks in order


MatchTest = tuple[str, str]  # (match_kind, pattern)


def clause_regexes(clause: gp.MatchLogic) -> list[list[MatchTest]]:
    """The clause in disjunctive normal form: a list of conjunctions of simple tests.
    Plain string tests stay plain: a regex compiled per row would be far slower."""
    if isinstance(clause, gp.ClauseOr):
        return [conj for sub in clause.or_ for conj in clause_regexes(sub)]
    if isinstance(clause, gp.ClauseAnd):
        product: list[list[MatchTest]] = [[]]
        for sub in clause.and_:
            product = [left + right for left in product for right in clause_regexes(sub)]
        return product
    return [[_simple_test(clause)]]


def _simple_test(clause: gp.MatchLogic) -> MatchTest:
    if isinstance(clause, gp.ClauseEquals):
        return "equals", clause.equals.lower()
    if isinstance(clause, gp.ClauseStartsWith):
        return "starts_with", clause.starts_with.lower()
    if isinstance(clause, gp.ClauseEndsWith):
        return "ends_with", clause.ends_with.lower()
    if isinstance(clause, gp.ClauseContains):
        return "contains", clause.contains.lower()
    if isinstance(clause, gp.ClauseRegex):
        return "regex", clause.regex
    raise TypeError(f"unknown genai-prices match clause {clause!r}")


@lru_cache(maxsize=1)
def model_patterns() -> tuple[ModelPattern, ...]:
    rows: list[ModelPattern] = []
    for provider in genai_providers:
        for rank, model in enumerate(provider.models):
            for number, conjunction in enumerate(clause_regexes(model.match)):
                rows.extend(
                    ModelPattern(provider.id, model.id, rank, number, kind, *_re2(kind, test))
                    for kind, test in conjunction
                )
    return tuple(rows)


def _re2(kind: str, pattern: str) -> tuple[str, bool]:
    """A whole-pattern negative lookahead `^(?!X)` becomes the negated pattern `^(?:X)`."""
    if (
        kind == "regex"
        and pattern.startswith("^(?!")
        and pattern.endswith(")")
        and "(?!" not in pattern[4:]
    ):
        return f"^(?:{pattern[4:-1]})", True
    return pattern, False


@lru_cache(maxsize=1)
def provider_aliases() -> tuple[ProviderAlias, ...]:
    """Only exact provider ids: genai-prices' loose provider rules (`contains 'openai'`)
    would also claim `azure.openai`, and the lake's provider names are normalized."""
    rows: list[ProviderAlias] = []
    for provider in genai_providers:
        targets = [provider.id, *(provider.fallback_model_providers or [])]
        rows.extend(
            ProviderAlias(f"^{re.escape(provider.id)}$", target, rank)
            for rank, target in enumerate(targets)
        )
    return tuple(rows)
