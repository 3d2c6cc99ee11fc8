{%- set cost_parts = ['input', 'cache_read', 'cache_write_5m', 'cache_write_1h', 'output'] -%}

with

-- Staging is a view (deduplicating the build's batch straight from the lake) and the
-- pricing reads the calls three times (names, keys, costs): held once in memory, the batch
-- costs one pass over the lake and no table write.
calls as materialized (

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

calls_keyed as not materialized (

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

price_keys as (

    -- The few distinct ways the calls ask for a price: matching names to catalogue models
    -- and choosing a price row happen once per key, and the calls only look the result up.
    -- Gathered into one list and unnested so the planner knows the keys are few: it then
    -- hashes the price cells, not the calls, in the final join.
    select unnest(gathered.price_keys, recursive := true)
    from (
        select
            list(distinct {
                'provider': provider,
                'response_model': response_model,
                'request_model': request_model,
                'priced_service_tier': priced_service_tier,
                'is_priced_as_batch': is_priced_as_batch
            }) as price_keys
        from calls_keyed
    ) as gathered

),

-- Matching and the price cells are macros, not models, so the unit tests still give this
-- model's own inputs (calls and catalogue) and check the whole pricing.
{{ price_reference_matches() }},

{{ price_cells() }},

costed as (

    select
        calls_keyed.*,
        cell_rates.price_id,
        cell_rates.priced_model,
        cell_rates.price_provider,
        cell_rates.price_source,
        cell_rates.price_origin,
        coalesce(cell_rates.is_long_context, false) as is_long_context,
        cell_rates.price_id is not null as is_priced,
        not calls_keyed.is_usage_missing
        and (
            calls_keyed.input_tokens is not null
            or calls_keyed.output_tokens is not null
        ) as has_usage,
        {{ uncached_input_tokens('calls_keyed') }} as uncached_input_tokens,
        {{ cache_write_5m_input_tokens('calls_keyed') }} as cache_write_5m_input_tokens,
        {{ input_cost_usd('calls_keyed', 'cell_rates') }} as input_cost_usd,
        {{ cache_read_cost_usd('calls_keyed', 'cell_rates') }} as cache_read_cost_usd,
        {{ cache_write_5m_cost_usd('calls_keyed', 'cell_rates') }}
            as cache_write_5m_cost_usd,
        {{ cache_write_1h_cost_usd('calls_keyed', 'cell_rates') }}
            as cache_write_1h_cost_usd,
        {{ output_cost_usd('calls_keyed', 'cell_rates') }} as output_cost_usd,
        cell_rates.are_rates_exact_at_12,
        {{ input_cost_usd('calls_keyed', 'cell_rates', '_12') }} as input_cost_usd_12,
        {{ cache_read_cost_usd('calls_keyed', 'cell_rates', '_12') }} as cache_read_cost_usd_12,
        {{ cache_write_5m_cost_usd('calls_keyed', 'cell_rates', '_12') }}
            as cache_write_5m_cost_usd_12,
        {{ cache_write_1h_cost_usd('calls_keyed', 'cell_rates', '_12') }}
            as cache_write_1h_cost_usd_12,
        {{ output_cost_usd('calls_keyed', 'cell_rates', '_12') }} as output_cost_usd_12
    from calls_keyed
    left join cell_rates
        on
            {{ same_price_key('calls_keyed', 'cell_rates') }}
            and calls_keyed.called_at >= cell_rates.segment_from
            and calls_keyed.called_at
            < coalesce(cell_rates.segment_to, cast('infinity' as timestamp))
            and (
                cell_rates.band_above is null
                or coalesce(calls_keyed.input_tokens, 0) > cell_rates.band_above
            )
            and (
                cell_rates.band_up_to is null
                or coalesce(calls_keyed.input_tokens, 0) <= cell_rates.band_up_to
            )

),

final as (

    select
        * exclude (
            are_rates_exact_at_12,
            {%- for part in cost_parts %}
                {{ part }}_cost_usd, {{ part }}_cost_usd_12{{ "," if not loop.last }}
            {%- endfor %}
        ),
        {%- for part in cost_parts %}
            case
                when has_usage and are_rates_exact_at_12 then {{ part }}_cost_usd_12
                when has_usage then cast({{ part }}_cost_usd as decimal(38, 12))
            end as {{ part }}_cost_usd,
        {%- endfor %}
        case
            when has_usage and are_rates_exact_at_12
                then cache_write_5m_cost_usd_12 + cache_write_1h_cost_usd_12
            when has_usage
                then cast(cache_write_5m_cost_usd + cache_write_1h_cost_usd as decimal(38, 12))
        end as cache_write_cost_usd,
        -- The total is rounded once, not summed from rounded parts.
        case
            when has_usage and are_rates_exact_at_12
                then
                    input_cost_usd_12 + cache_read_cost_usd_12 + cache_write_5m_cost_usd_12
                    + cache_write_1h_cost_usd_12 + output_cost_usd_12
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
