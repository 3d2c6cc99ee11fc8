with

source as (

    select * from {{ ref('stg_prices__catalogue') }}

),

renamed as (

    select
        price_id,
        lower(provider) as provider,
        model,
        lower(service_tier) as service_tier,
        is_batch,
        cast(valid_from as timestamp) as valid_from,
        cast(valid_to as timestamp) as valid_to,
        prompt_tokens_above,
        prompt_tokens_up_to,
        input_usd_per_mtok,
        cache_read_usd_per_mtok,
        cache_write_5m_usd_per_mtok,
        cache_write_1h_usd_per_mtok,
        output_usd_per_mtok,
        source as price_source,
        price_origin,
        package_version,
        refreshed_at
    from source

)

select * from renamed
