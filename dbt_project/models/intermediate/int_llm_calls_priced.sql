with

calls as (

    select * from {{ ref('stg_lake__llm_calls') }}

),

prices as (

    select * from {{ ref('stg_prices') }}

),

model_patterns as (

    select * from {{ ref('stg_prices__model_patterns') }}

),

provider_aliases as (

    select * from {{ ref('stg_prices__provider_aliases') }}

),

calls_keyed as (

    select
        *,
        coalesce(response_model, request_model) as model,
        case
            when service_tier = 'fast' then 'priority'
            else coalesce(service_tier, 'default')
        end as priced_service_tier,
        is_batch or coalesce(service_tier = 'batch', false) as is_priced_as_batch
    from calls

),

model_references as (

    -- Matching works on the few distinct spellings, not on every call.
    select distinct
        provider,
        response_model,
        request_model
    from calls_keyed

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

),

reference_prices as (

    -- Every price row of each spelling's model, before meeting the (many) calls.
    select
        reference_matches.provider,
        coalesce(reference_matches.response_model, '') as response_model_key,
        coalesce(reference_matches.request_model, '') as request_model_key,
        reference_matches.price_provider,
        prices.*
    from reference_matches
    inner join prices
        on
            reference_matches.price_provider = prices.provider
            and reference_matches.priced_model = prices.model

),

matched_prices as (

    select
        calls_keyed.call_id,
        reference_prices.price_provider,
        reference_prices.price_id,
        reference_prices.model as priced_model,
        reference_prices.prompt_tokens_above is not null as is_long_context,
        reference_prices.price_source,
        reference_prices.price_origin,
        reference_prices.input_usd_per_mtok,
        reference_prices.cache_read_usd_per_mtok,
        reference_prices.cache_write_5m_usd_per_mtok,
        reference_prices.cache_write_1h_usd_per_mtok,
        reference_prices.output_usd_per_mtok
    from calls_keyed
    inner join reference_prices
        on
            calls_keyed.provider = reference_prices.provider
            -- Blank names are NULL already: '' stands for NULL so the join can hash.
            and coalesce(calls_keyed.response_model, '') = reference_prices.response_model_key
            and coalesce(calls_keyed.request_model, '') = reference_prices.request_model_key
            and calls_keyed.is_priced_as_batch = reference_prices.is_batch
            and reference_prices.service_tier in (calls_keyed.priced_service_tier, 'default')
            and calls_keyed.called_at >= reference_prices.valid_from
            and calls_keyed.called_at
            < coalesce(reference_prices.valid_to, cast('infinity' as timestamp))
            and {{ price_band_matches('calls_keyed', 'reference_prices') }}
    qualify row_number() over (
        partition by calls_keyed.call_id
        order by reference_prices.service_tier = calls_keyed.priced_service_tier desc
    ) = 1

),

costed as (

    select
        calls_keyed.*,
        matched_prices.price_id,
        matched_prices.priced_model,
        matched_prices.price_provider,
        matched_prices.price_source,
        matched_prices.price_origin,
        coalesce(matched_prices.is_long_context, false) as is_long_context,
        matched_prices.price_id is not null as is_priced,
        not calls_keyed.is_usage_missing
        and (
            calls_keyed.input_tokens is not null
            or calls_keyed.output_tokens is not null
        ) as has_usage,
        {{ uncached_input_tokens('calls_keyed') }} as uncached_input_tokens,
        {{ cache_write_5m_input_tokens('calls_keyed') }} as cache_write_5m_input_tokens,
        {{ input_cost_usd('calls_keyed', 'matched_prices') }} as input_cost_usd,
        {{ cache_read_cost_usd('calls_keyed', 'matched_prices') }} as cache_read_cost_usd,
        {{ cache_write_5m_cost_usd('calls_keyed', 'matched_prices') }}
            as cache_write_5m_cost_usd,
        {{ cache_write_1h_cost_usd('calls_keyed', 'matched_prices') }}
            as cache_write_1h_cost_usd,
        {{ output_cost_usd('calls_keyed', 'matched_prices') }} as output_cost_usd
    from calls_keyed
    left join matched_prices
        on calls_keyed.call_id = matched_prices.call_id

),

final as (

    select
        * exclude (
            input_cost_usd,
            cache_read_cost_usd,
            cache_write_5m_cost_usd,
            cache_write_1h_cost_usd,
            output_cost_usd
        ),
        case
            when has_usage then cast(input_cost_usd as decimal(38, 12))
        end as input_cost_usd,
        case
            when has_usage then cast(cache_read_cost_usd as decimal(38, 12))
        end as cache_read_cost_usd,
        case
            when has_usage then cast(cache_write_5m_cost_usd as decimal(38, 12))
        end as cache_write_5m_cost_usd,
        case
            when has_usage then cast(cache_write_1h_cost_usd as decimal(38, 12))
        end as cache_write_1h_cost_usd,
        case
            when has_usage
                then cast(cache_write_5m_cost_usd + cache_write_1h_cost_usd as decimal(38, 12))
        end as cache_write_cost_usd,
        case
            when has_usage then cast(output_cost_usd as decimal(38, 12))
        end as output_cost_usd,
        case
            when has_usage
                then cast(
                    input_cost_usd + cache_read_cost_usd + cache_write_5m_cost_usd
                    + cache_write_1h_cost_usd + output_cost_usd
                    as decimal(38, 12)
                )
        end as cost_usd
    from costed

)

select * from final
