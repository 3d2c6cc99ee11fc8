{#- FOCUS 1.2 cost and usage rows at token grain. Incremental: rebuilds the days the fact
    rebuilt (macros/incremental_window.sql). -#}
{%- set since = mart_rebuild_since() -%}
{{ config(pre_hook="{{ delete_rebuilt_rows('ChargePeriodStart', mart_rebuild_since()) }}") }}

with

calls as (

    select * from {{ ref('fct_llm_calls') }}
    {{ rebuilt_rows_filter('called_on', since) }}

),

prices as (

    select * from {{ ref('stg_prices') }}

),

-- Only calls with a known cost: FOCUS has no place for a charge of unknown amount (the
-- unpriced ones are listed in unpriced_models).
allocated as (

    select
        called_on as day,
        provider,
        priced_model as model,
        price_id,
        feature,
        team,
        sum(
            coalesce(input_tokens, 0) - coalesce(cache_read_input_tokens, 0)
            - coalesce(cache_write_input_tokens, 0)
        ) as input_tokens,
        sum(input_cost_usd) as input_cost_usd,
        sum(coalesce(cache_read_input_tokens, 0)) as cache_read_tokens,
        sum(cache_read_cost_usd) as cache_read_cost_usd,
        sum(
            coalesce(cache_write_input_tokens, 0) - coalesce(cache_write_1h_input_tokens, 0)
        ) as cache_write_5m_tokens,
        sum(coalesce(cache_write_1h_input_tokens, 0)) as cache_write_1h_tokens,
        sum(cache_write_cost_usd) as cache_write_cost_usd,
        sum(coalesce(output_tokens, 0)) as output_tokens,
        sum(output_cost_usd) as output_cost_usd
    from calls
    where cost_usd is not null
    group by all

),

rated as (

    select
        allocated.*,
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
    from allocated
    inner join prices
        on allocated.price_id = prices.price_id

),

-- One row per token type. The fact keeps one cache-write cost; the 1-hour part is its
-- tokens at the 1-hour rate and the 5-minute part the rest, so the rows add up to the
-- fact's cost exactly.
token_rows as (

    select
        rated.day,
        rated.provider,
        rated.model,
        rated.price_id,
        rated.feature,
        rated.team,
        token_types.*
    from rated
    cross join
        lateral (
            values
            ('input', rated.input_tokens, rated.input_rate, rated.input_cost_usd),
            (
                'cache_read', rated.cache_read_tokens, rated.cache_read_rate,
                rated.cache_read_cost_usd
            ),
            (
                'cache_write_5m', rated.cache_write_5m_tokens, rated.cache_write_5m_rate,
                rated.cache_write_cost_usd - rated.cache_write_1h_tokens * rated.cache_write_1h_rate
            ),
            (
                'cache_write_1h', rated.cache_write_1h_tokens, rated.cache_write_1h_rate,
                rated.cache_write_1h_tokens * rated.cache_write_1h_rate
            ),
            ('output', rated.output_tokens, rated.output_rate, rated.output_cost_usd)
        ) as token_types (token_type, tokens, unit_price_usd, cost_usd)
    where token_types.tokens != 0

),

focus as (

    -- FOCUS names its columns in PascalCase; quoted so they keep it.
    -- noqa: disable=RF06
    select
        cast(date_trunc('month', day) as timestamp) as "BillingPeriodStart",
        cast(date_trunc('month', day) + interval 1 month as timestamp) as "BillingPeriodEnd",
        cast(day as timestamp) as "ChargePeriodStart",
        cast(day + interval 1 day as timestamp) as "ChargePeriodEnd",
        'Usage' as "ChargeCategory",
        'Usage-Based' as "ChargeFrequency",
        model || ' ' || replace(token_type, '_', ' ') || ' tokens' as "ChargeDescription",
        'Standard' as "PricingCategory",
        provider as "ProviderName",
        provider as "PublisherName",
        provider as "InvoiceIssuerName",
        provider || ' API' as "ServiceName",
        'AI and Machine Learning' as "ServiceCategory",
        provider || '/' || model || '/' || token_type as "SkuId",
        price_id || '#' || token_type as "SkuPriceId",
        cast(tokens as decimal(38, 0)) as "ConsumedQuantity",
        'Token' as "ConsumedUnit",
        cast(tokens as decimal(38, 0)) as "PricingQuantity",
        'Token' as "PricingUnit",
        cast(unit_price_usd as decimal(38, 12)) as "ListUnitPrice",
        cast(unit_price_usd as decimal(38, 12)) as "ContractedUnitPrice",
        cast(cost_usd as decimal(38, 12)) as "BilledCost",
        cast(cost_usd as decimal(38, 12)) as "EffectiveCost",
        cast(cost_usd as decimal(38, 12)) as "ListCost",
        cast(cost_usd as decimal(38, 12)) as "ContractedCost",
        'USD' as "BillingCurrency",
        cast(json_object('feature', feature, 'team', team) as varchar) as "Tags",
        token_type as "x_TokenType"
    from token_rows
    -- noqa: enable=RF06

)

select * from focus
