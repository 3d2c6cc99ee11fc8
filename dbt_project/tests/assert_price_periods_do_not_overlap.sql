-- Two rows for the same price key whose validity periods overlap would price a call twice
-- (or arbitrarily); every change must close the previous period.
with

prices as (

    select * from {{ ref('stg_prices') }}

),

overlapping_periods as (

    select
        earlier.price_id as earlier_price_id,
        later.price_id as later_price_id
    from prices as earlier
    inner join prices as later
        on
            earlier.provider = later.provider
            and earlier.model = later.model
            and earlier.service_tier = later.service_tier
            and earlier.is_batch = later.is_batch
            and earlier.valid_from < later.valid_from
            and coalesce(earlier.valid_to, cast('infinity' as timestamp)) > later.valid_from

)

select * from overlapping_periods
