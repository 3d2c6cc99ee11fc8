with

calls as (

    select * from {{ ref('stg_lake__llm_calls') }}

),

prices as (

    select * from {{ ref('stg_prices') }}

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

model_candidates as (

    select
        calls_keyed.call_id,
        candidates.candidate_rank,
        lower(candidates.candidate_model) as candidate_model
    from calls_keyed
    cross join
        lateral (
            values
            (1, calls_keyed.response_model),
            (2, {{ strip_snapshot_suffix('calls_keyed.response_model') }}),
            (3, calls_keyed.request_model),
            (4, {{ strip_snapshot_suffix('calls_keyed.request_model') }})
        ) as candidates (candidate_rank, candidate_model)
    where candidates.candidate_model is not null

),

matched_prices as (

    select
        calls_keyed.call_id,
        prices.price_id,
        prices.model as priced_model,
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
    from calls_keyed
    inner join model_candidates
        on calls_keyed.call_id = model_candidates.call_id
    inner join prices
        on
            calls_keyed.provider = prices.provider
            and model_candidates.candidate_model = lower(prices.model)
            and calls_keyed.is_priced_as_batch = prices.is_batch
            and prices.service_tier in (calls_keyed.priced_service_tier, 'default')
            and calls_keyed.called_at >= prices.valid_from
            and calls_keyed.called_at < coalesce(prices.valid_to, cast('infinity' as timestamp))
    qualify row_number() over (
        partition by calls_keyed.call_id
        order by
            model_candidates.candidate_rank,
            prices.service_tier = calls_keyed.priced_service_tier desc
    ) = 1

),

billable_tokens as (

    select
        calls_keyed.*,
        matched_prices.* exclude (call_id),  -- noqa: RF02
        matched_prices.price_id is not null as is_priced,
        not calls_keyed.is_usage_missing
        and (
            calls_keyed.input_tokens is not null
            or calls_keyed.output_tokens is not null
        ) as has_usage,
        coalesce(calls_keyed.input_tokens, 0)
        - coalesce(calls_keyed.cache_read_input_tokens, 0)
        - coalesce(calls_keyed.cache_write_input_tokens, 0) as uncached_input_tokens,
        coalesce(calls_keyed.cache_write_input_tokens, 0)
        - coalesce(calls_keyed.cache_write_1h_input_tokens, 0) as cache_write_5m_input_tokens
    from calls_keyed
    left join matched_prices
        on calls_keyed.call_id = matched_prices.call_id

),

costed as (

    select
        *,
        case when is_priced and has_usage then uncached_input_tokens * input_rate end
            as input_cost_usd,
        case
            when is_priced and has_usage
                then coalesce(cache_read_input_tokens, 0) * cache_read_rate
        end as cache_read_cost_usd,
        case
            when is_priced and has_usage
                then
                    cache_write_5m_input_tokens * cache_write_5m_rate
                    + coalesce(cache_write_1h_input_tokens, 0) * cache_write_1h_rate
        end as cache_write_cost_usd,
        case
            when is_priced and has_usage then coalesce(output_tokens, 0) * output_rate
        end as output_cost_usd
    from billable_tokens

),

final as (

    select
        * exclude (
            input_rate, cache_read_rate, cache_write_5m_rate, cache_write_1h_rate, output_rate
        ),
        cast(
            input_cost_usd + cache_read_cost_usd + cache_write_cost_usd + output_cost_usd
            as decimal(38, 12)
        ) as cost_usd
    from costed

)

select * from final
