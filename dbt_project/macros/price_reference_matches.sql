{#- Which catalogue model prices each way the calls name a model: the CTEs up to
    `reference_matches` (one row per distinct provider, response_model, request_model with
    its price_provider and priced_model; names without a match have no row). Emitted into
    int_llm_calls_priced's CTE list, after the CTEs it reads: `price_keys` (the calls'
    distinct price keys), `prices`, `model_patterns` and `provider_aliases`. -#}
{% macro price_reference_matches() -%}
model_references as (

    -- Matching works on the few distinct spellings, not on every call.
    select distinct
        provider,
        response_model,
        request_model
    from price_keys

),

reference_candidates as (

    -- Each distinct spelling once, at its best rank.
    select
        refs.provider,
        refs.response_model,
        refs.request_model,
        lower(candidates.candidate_model) as candidate_model,
        min(candidates.candidate_rank) as candidate_rank
    from model_references as refs
    cross join
        lateral (
            values
            (1, refs.response_model),
            (2, {{ compact_date_dashed('refs.response_model') }}),
            (3, {{ without_path_prefix('refs.response_model') }}),
            (4, {{ strip_snapshot_suffix(without_path_prefix('refs.response_model')) }}),
            (5, refs.request_model),
            (6, {{ compact_date_dashed('refs.request_model') }}),
            (7, {{ without_path_prefix('refs.request_model') }}),
            (8, {{ strip_snapshot_suffix(without_path_prefix('refs.request_model')) }})
        ) as candidates (candidate_rank, candidate_model)
    where candidates.candidate_model is not null
    group by 1, 2, 3, 4

),

price_providers as (

    -- A lake provider is priced from its own catalogue models first, then from the
    -- providers it resells (Azure: OpenAI's models, Vertex: Anthropic's).
    select distinct
        model_references.provider,
        coalesce(provider_aliases.price_provider, model_references.provider) as price_provider,
        coalesce(provider_aliases.provider_rank, 0) as provider_rank
    from model_references
    left join provider_aliases
        on regexp_matches(model_references.provider, provider_aliases.provider_pattern)

),

exact_matches as (

    select distinct
        reference_candidates.provider,
        reference_candidates.response_model,
        reference_candidates.request_model,
        reference_candidates.candidate_rank,
        price_providers.price_provider,
        price_providers.provider_rank,
        prices.model as priced_model,
        -2 as model_rank
    from reference_candidates
    inner join price_providers
        on reference_candidates.provider = price_providers.provider
    inner join prices
        on
            price_providers.price_provider = prices.provider
            and reference_candidates.candidate_model = lower(prices.model)

),

pattern_matches as (

    select
        reference_candidates.provider,
        reference_candidates.response_model,
        reference_candidates.request_model,
        reference_candidates.candidate_rank,
        price_providers.price_provider,
        price_providers.provider_rank,
        model_patterns.model as priced_model,
        model_patterns.model_rank,
        model_patterns.conjunction
    from reference_candidates
    inner join price_providers
        on reference_candidates.provider = price_providers.provider
    inner join model_patterns
        on price_providers.price_provider = model_patterns.provider
    group by all
    having bool_and(
        case model_patterns.match_kind
            when 'equals' then reference_candidates.candidate_model = model_patterns.pattern
            when 'starts_with'
                then starts_with(reference_candidates.candidate_model, model_patterns.pattern)
            when 'ends_with'
                then suffix(reference_candidates.candidate_model, model_patterns.pattern)
            when 'contains'
                then contains(reference_candidates.candidate_model, model_patterns.pattern)
            else regexp_matches(reference_candidates.candidate_model, model_patterns.pattern)
        end != model_patterns.is_negated
    )

),

all_matches as (

    select * from exact_matches
    union all
    select * exclude (conjunction) from pattern_matches

),

reference_matches as (

    -- genai-prices' order: the reported name before its normalized forms, the provider
    -- before its fallbacks, an exact model id before the first matching rule.
    select * from all_matches
    qualify row_number() over (
        partition by provider, response_model, request_model
        order by candidate_rank, provider_rank, model_rank, priced_model
    ) = 1

)
{%- endmacro %}
