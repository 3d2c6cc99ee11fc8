{#- Incremental: each build replaces the days from fact_rebuild_since() on (the look-back
    window, widened to repriced history) with the freshly priced calls of those days; see
    macros/incremental_window.sql. -#}
{{ config(
    pre_hook=[
        "{{ delete_rebuilt_rows('called_on', fact_rebuild_since()) }}",
        "{{ record_build_window(fact_rebuild_since()) }}",
    ],
    post_hook="{{ record_priced_catalogue() }}",
) }}

-- depends_on: {{ ref('stg_prices') }}

with

priced_calls as (

    select * from {{ ref('int_llm_calls_priced') }}

),

final as (

    select
        call_id,
        trace_id,
        span_id,
        called_at,
        cast(called_at as date) as called_on,
        service_name,
        coalesce(provider, '(unknown)') as provider,
        coalesce(model, '(unknown)') as model,
        request_model,
        response_model,
        operation,
        {{ attribution_bucket('feature') }} as feature,
        {{ attribution_bucket('team') }} as team,
        {{ attribution_bucket('user_id') }} as user_id,
        session_id,
        input_tokens,
        cache_read_input_tokens,
        cache_write_input_tokens,
        cache_write_1h_input_tokens,
        output_tokens,
        reasoning_output_tokens,
        service_tier,
        is_batch,
        is_streaming,
        has_usage,
        is_priced,
        price_id,
        priced_model,
        price_provider,
        price_origin,
        price_source,
        is_long_context,
        cast(input_cost_usd as decimal(38, 12)) as input_cost_usd,
        cast(cache_read_cost_usd as decimal(38, 12)) as cache_read_cost_usd,
        cast(cache_write_cost_usd as decimal(38, 12)) as cache_write_cost_usd,
        cast(cache_write_5m_cost_usd as decimal(38, 12)) as cache_write_5m_cost_usd,
        cast(cache_write_1h_cost_usd as decimal(38, 12)) as cache_write_1h_cost_usd,
        cast(output_cost_usd as decimal(38, 12)) as output_cost_usd,
        cost_usd
    from priced_calls

)

select * from final
