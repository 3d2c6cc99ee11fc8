{#- Incremental: rebuilds the days the fact rebuilt (macros/incremental_window.sql). -#}
{%- set since = mart_rebuild_since() -%}
{{ config(pre_hook="{{ delete_rebuilt_rows('day', mart_rebuild_since()) }}") }}

with

calls as (

    select * from {{ ref('fct_llm_calls') }}
    {{ rebuilt_rows_filter('called_on', since) }}

),

prices as (

    select * from {{ ref('stg_prices') }}

),

-- Cost is linear in tokens within one price row, so the calls are summed per price row
-- first and priced once per group instead of once per call.
by_price_row as (

    select
        called_on as day,
        feature,
        provider,
        coalesce(priced_model, model) as model,
        price_id,
        count(*) as calls,
        count(*) filter (where cache_read_input_tokens > 0) as cache_hit_calls,
        cast(coalesce(sum(input_tokens), 0) as bigint) as input_tokens,
        cast(coalesce(sum(cache_read_input_tokens), 0) as bigint) as cache_read_input_tokens,
        cast(coalesce(sum(cache_write_input_tokens), 0) as bigint) as cache_write_input_tokens,
        sum(cost_usd) as cost_usd,
        sum(input_tokens) filter (where cost_usd is not null) as priced_input_tokens,
        sum(output_cost_usd) filter (where cost_usd is not null) as priced_output_cost_usd
    from calls
    group by all

),

without_cache as (

    select
        by_price_row.*,
        -- Without caching every prompt token is plain input, and the output is unchanged.
        coalesce(by_price_row.priced_input_tokens, 0)
        * {{ usd_per_token('prices.input_usd_per_mtok') }}
        + by_price_row.priced_output_cost_usd as cost_without_cache_usd
    from by_price_row
    left join prices
        on by_price_row.price_id = prices.price_id

),

daily as (

    select
        day,
        feature,
        provider,
        model,
        cast(sum(calls) as bigint) as calls,
        cast(sum(cache_hit_calls) as bigint) as cache_hit_calls,
        cast(sum(input_tokens) as bigint) as input_tokens,
        cast(sum(cache_read_input_tokens) as bigint) as cache_read_input_tokens,
        cast(sum(cache_write_input_tokens) as bigint) as cache_write_input_tokens,
        cast(sum(cost_usd) as decimal(38, 12)) as cost_usd,
        cast(sum(cost_without_cache_usd) as decimal(38, 12)) as cost_without_cache_usd
    from without_cache
    group by day, feature, provider, model

),

final as (

    select
        *,
        cast(cost_without_cache_usd - cost_usd as decimal(38, 12)) as savings_usd,
        cast(cache_read_input_tokens as double) / nullif(input_tokens, 0) as cache_hit_rate
    from daily

)

select * from final
