{#- The price cells: for each price key of the calls (`price_keys`: provider,
    response_model, request_model, priced_service_tier, is_priced_as_batch), the spans of
    time and prompt size over which one price row applies, with that row and its per-token
    rates. The CTEs up to `cell_rates`, emitted into int_llm_calls_priced's CTE list after
    the CTEs they read: `price_keys`, `prices` and `reference_matches`
    (price_reference_matches()). -#}
{% macro price_cells() -%}
key_prices as (

    -- Every price row a key's calls can use: its model's rows for the batch flag, in the
    -- served tier or the default one.
    select
        price_keys.*,
        reference_matches.price_provider,
        prices.price_id,
        prices.model as priced_model,
        prices.service_tier,
        prices.valid_from,
        prices.valid_to,
        prices.prompt_tokens_above,
        prices.prompt_tokens_up_to,
        prices.price_source,
        prices.price_origin,
        prices.input_usd_per_mtok,
        prices.cache_read_usd_per_mtok,
        prices.cache_write_5m_usd_per_mtok,
        prices.cache_write_1h_usd_per_mtok,
        prices.output_usd_per_mtok
    from price_keys
    inner join reference_matches
        on
            price_keys.provider = reference_matches.provider
            and price_keys.response_model is not distinct from reference_matches.response_model
            and price_keys.request_model is not distinct from reference_matches.request_model
    inner join prices
        on
            reference_matches.price_provider = prices.provider
            and reference_matches.priced_model = prices.model
            and price_keys.is_priced_as_batch = prices.is_batch
            and prices.service_tier in (price_keys.priced_service_tier, 'default')

),

time_bounds as (

    select distinct
        provider,
        response_model,
        request_model,
        priced_service_tier,
        is_priced_as_batch,
        unnest([valid_from, valid_to]) as bound_at
    from key_prices

),

time_segments as (

    -- Between two consecutive validity bounds of a key's rows (timestamps, not only
    -- midnights) the same rows apply: [segment_from, segment_to), NULL = open-ended.
    select
        provider,
        response_model,
        request_model,
        priced_service_tier,
        is_priced_as_batch,
        bound_at as segment_from,
        lead(bound_at) over (
            partition by
                provider, response_model, request_model, priced_service_tier, is_priced_as_batch
            order by bound_at
        ) as segment_to
    from time_bounds
    where bound_at is not null

),

token_bounds as (

    select distinct
        provider,
        response_model,
        request_model,
        priced_service_tier,
        is_priced_as_batch,
        unnest([prompt_tokens_above, prompt_tokens_up_to]) as bound_tokens
    from key_prices

),

token_bands as (

    -- Between two consecutive band bounds the same rows apply: prompts in
    -- (band_above, band_up_to], NULL = unbounded. A key without bands has one, unbounded.
    select
        provider,
        response_model,
        request_model,
        priced_service_tier,
        is_priced_as_batch,
        lag(bound_tokens) over key_bounds as band_above,
        bound_tokens as band_up_to
    from token_bounds
    window key_bounds as (
        partition by
            provider, response_model, request_model, priced_service_tier, is_priced_as_batch
        order by bound_tokens asc nulls last
    )

),

price_cells as (

    -- Each (time segment, prompt band) of a key gets the one row that prices it, the same
    -- row every call inside would pick: the served tier's before the default one. The
    -- rows' bounds are among the cell bounds, so a row covering a cell's first instant and
    -- largest prompt covers the whole cell.
    select
        time_segments.*,
        token_bands.band_above,
        token_bands.band_up_to,
        key_prices.price_provider,
        key_prices.price_id,
        key_prices.priced_model,
        key_prices.prompt_tokens_above is not null as is_long_context,
        key_prices.price_source,
        key_prices.price_origin,
        {{ price_rates('key_prices') }}
    from time_segments
    inner join token_bands
        on
            {{ same_price_key('time_segments', 'token_bands') }}
    inner join key_prices
        on
            {{ same_price_key('time_segments', 'key_prices') }}
            and time_segments.segment_from >= key_prices.valid_from
            and time_segments.segment_from
            < coalesce(key_prices.valid_to, cast('infinity' as timestamp))
            and (
                key_prices.prompt_tokens_up_to is null
                or token_bands.band_up_to <= key_prices.prompt_tokens_up_to
            )
            and (
                key_prices.prompt_tokens_above is null
                or token_bands.band_above >= key_prices.prompt_tokens_above
            )
    qualify row_number() over (
        partition by
            time_segments.provider,
            time_segments.response_model,
            time_segments.request_model,
            time_segments.priced_service_tier,
            time_segments.is_priced_as_batch,
            time_segments.segment_from,
            token_bands.band_up_to
        order by
            key_prices.service_tier = time_segments.priced_service_tier desc,
            key_prices.price_id
    ) = 1

),

cell_rates as (

    -- Most rates have at most 12 decimals per token. A call's cost parts are then exact at
    -- the DECIMAL(38,12) of the result, and multiplying by the rates cut to 12 decimals
    -- gives them without rounding each part of each call (a 128-bit division, otherwise
    -- most of the pricing's time). Cells with finer rates keep the rounding.
    select
        *,
        cast(input_rate as decimal(38, 12)) as input_rate_12,
        cast(cache_read_rate as decimal(38, 12)) as cache_read_rate_12,
        cast(cache_write_5m_rate as decimal(38, 12)) as cache_write_5m_rate_12,
        cast(cache_write_1h_rate as decimal(38, 12)) as cache_write_1h_rate_12,
        cast(output_rate as decimal(38, 12)) as output_rate_12,
        coalesce(input_rate = cast(input_rate as decimal(38, 12)), true)
        and coalesce(cache_read_rate = cast(cache_read_rate as decimal(38, 12)), true)
        and coalesce(cache_write_5m_rate = cast(cache_write_5m_rate as decimal(38, 12)), true)
        and coalesce(cache_write_1h_rate = cast(cache_write_1h_rate as decimal(38, 12)), true)
        and coalesce(output_rate = cast(output_rate as decimal(38, 12)), true)
            as are_rates_exact_at_12
    from price_cells

)
{%- endmacro %}

{% macro same_price_key(left, right) -%}
    {#- `left` and `right` (relation aliases) ask for a price the same way: the join of a price
        key's calls, cells and rows. Model names may be NULL (one of the two often is). -#}
    {{ left }}.provider = {{ right }}.provider
    and {{ left }}.response_model is not distinct from {{ right }}.response_model
    and {{ left }}.request_model is not distinct from {{ right }}.request_model
    and {{ left }}.priced_service_tier = {{ right }}.priced_service_tier
    and {{ left }}.is_priced_as_batch = {{ right }}.is_priced_as_batch
{%- endmacro %}
