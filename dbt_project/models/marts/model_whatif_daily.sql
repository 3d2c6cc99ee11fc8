{#- Incremental: rebuilds the days the fact rebuilt (macros/incremental_window.sql).
    Candidates come from the `whatif_candidate_models` var ("provider/model" strings). -#}
{%- set since = mart_rebuild_since() -%}
{#- A catalogue with long-context bands has several rows per price; the what-if uses the
    base one (documented: no long-context surcharge). -#}
{%- set has_price_bands = relation_has_column(ref('stg_prices'), 'prompt_tokens_above') -%}
{{ config(pre_hook="{{ delete_rebuilt_rows('day', mart_rebuild_since()) }}") }}

with

calls as (

    select * from {{ ref('fct_llm_calls') }}
    {{ rebuilt_rows_filter('called_on', since) }}

),

prices as (

    select * from {{ ref('stg_prices') }}

),

listed_candidates as (

    select
        unnest([
            {%- for candidate in var('whatif_candidate_models') %}
                '{{ candidate }}'{{ "," if not loop.last }}
            {%- endfor %}
        ]) as candidate

),

candidates as (

    select
        split_part(candidate, '/', 1) as candidate_provider,
        split_part(candidate, '/', 2) as candidate_model
    from listed_candidates

),

-- Prices are linear in tokens and change at UTC midnight, so summing the token classes per
-- day before pricing gives the same total as pricing each call.
usage_totals as (

    select
        called_on as day,
        feature,
        provider,
        coalesce(priced_model, model) as model,
        is_batch or coalesce(service_tier = 'batch', false) as is_priced_as_batch,
        count(*) as calls,
        count(*) filter (where cost_usd is null) as unpriced_calls,
        sum(cost_usd) as cost_usd,
        sum(
            coalesce(input_tokens, 0) - coalesce(cache_read_input_tokens, 0)
            - coalesce(cache_write_input_tokens, 0)
        ) as uncached_input_tokens,
        sum(coalesce(cache_read_input_tokens, 0)) as cache_read_input_tokens,
        sum(
            coalesce(cache_write_input_tokens, 0) - coalesce(cache_write_1h_input_tokens, 0)
        ) as cache_write_5m_input_tokens,
        sum(coalesce(cache_write_1h_input_tokens, 0)) as cache_write_1h_input_tokens,
        sum(coalesce(output_tokens, 0)) as output_tokens
    from calls
    where has_usage
    group by all

),

usage_days as (

    select distinct
        day,
        is_priced_as_batch
    from usage_totals

),

-- The candidate's standard price on that day, batch rates for batch usage. The rate
-- fallbacks are the warehouse's: a missing cache rate bills those tokens as input.
candidate_rates as (

    select
        usage_days.day,
        usage_days.is_priced_as_batch,
        candidates.candidate_provider,
        candidates.candidate_model,
        prices.price_id,
        {{ usd_per_token('prices.input_usd_per_mtok') }} as input_rate,
        {{ usd_per_token(
            'coalesce(prices.cache_read_usd_per_mtok, prices.input_usd_per_mtok)'
        ) }} as cache_read_rate,
        {{ usd_per_token(
            'coalesce(prices.cache_write_5m_usd_per_mtok, prices.input_usd_per_mtok)'
        ) }} as cache_write_5m_rate,
        {{ usd_per_token(
            'coalesce(prices.cache_write_1h_usd_per_mtok,'
            ~ ' prices.cache_write_5m_usd_per_mtok, prices.input_usd_per_mtok)'
        ) }} as cache_write_1h_rate,
        {{ usd_per_token('prices.output_usd_per_mtok') }} as output_rate
    from usage_days
    cross join candidates
    inner join prices
        on
            candidates.candidate_provider = prices.provider
            and lower(candidates.candidate_model) = lower(prices.model)
            and prices.service_tier = 'default'
            {%- if has_price_bands %}
                and prices.prompt_tokens_above is null
            {%- endif %}
            and usage_days.is_priced_as_batch = prices.is_batch
            and cast(usage_days.day as timestamp) >= prices.valid_from
            and cast(usage_days.day as timestamp)
            < coalesce(prices.valid_to, cast('infinity' as timestamp))

),

priced as (

    select
        usage_totals.day,
        usage_totals.feature,
        usage_totals.provider,
        usage_totals.model,
        candidates.candidate_provider,
        candidates.candidate_model,
        usage_totals.calls,
        usage_totals.unpriced_calls,
        usage_totals.cost_usd,
        usage_totals.uncached_input_tokens * candidate_rates.input_rate
        + usage_totals.cache_read_input_tokens * candidate_rates.cache_read_rate
        + usage_totals.cache_write_5m_input_tokens * candidate_rates.cache_write_5m_rate
        + usage_totals.cache_write_1h_input_tokens * candidate_rates.cache_write_1h_rate
        + usage_totals.output_tokens * candidate_rates.output_rate as whatif_cost_usd
    from usage_totals
    cross join candidates
    left join candidate_rates
        on
            usage_totals.day = candidate_rates.day
            and usage_totals.is_priced_as_batch = candidate_rates.is_priced_as_batch
            and candidates.candidate_provider = candidate_rates.candidate_provider
            and candidates.candidate_model = candidate_rates.candidate_model

),

final as (

    select
        day,
        feature,
        provider,
        model,
        candidate_provider,
        candidate_model,
        cast(sum(calls) as bigint) as calls,
        cast(sum(unpriced_calls) as bigint) as unpriced_calls,
        cast(sum(cost_usd) as decimal(38, 12)) as cost_usd,
        -- One unpriceable group (the candidate has no batch price, or no price yet that day)
        -- makes the total unknown rather than too low.
        case
            when count(*) = count(whatif_cost_usd)
                then cast(sum(whatif_cost_usd) as decimal(38, 12))
        end as whatif_cost_usd
    from priced
    group by all

)

select * from final
