with

source as (

    select * from {{ ref('model_prices') }}

),

renamed as (

    select
        concat_ws(
            '/',
            provider,
            model,
            service_tier,
            case when is_batch then 'batch' else 'standard' end,
            strftime(valid_from, '%Y-%m-%d')
        ) as price_id,
        lower(provider) as provider,
        model,
        lower(service_tier) as service_tier,
        is_batch,
        cast(valid_from as timestamp) as valid_from,
        cast(valid_to as timestamp) as valid_to,
        input_usd_per_mtok,
        cache_read_usd_per_mtok,
        cache_write_5m_usd_per_mtok,
        cache_write_1h_usd_per_mtok,
        output_usd_per_mtok,
        source as price_source
    from source

)

select * from renamed
