-- Two rows for the same price key whose validity periods and prompt-size bands overlap
-- would price a call twice (or arbitrarily); every change must close the previous period.
with

prices as (

    select
        *,
        coalesce(prompt_tokens_above, -1) as band_low,
        coalesce(prompt_tokens_up_to, 9223372036854775807) as band_high,
        coalesce(valid_to, cast('infinity' as timestamp)) as valid_until
    from {{ ref('stg_prices') }}

),

overlapping_periods as (

    select
        one.price_id as one_price_id,
        other.price_id as other_price_id
    from prices as one
    inner join prices as other
        on
            one.provider = other.provider
            and one.model = other.model
            and one.service_tier = other.service_tier
            and one.is_batch = other.is_batch
            and one.price_id < other.price_id
            and one.valid_from < other.valid_until
            and one.valid_until > other.valid_from
            and one.band_low < other.band_high
            and one.band_high > other.band_low

)

select * from overlapping_periods
