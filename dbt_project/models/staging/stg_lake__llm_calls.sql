with

source as (

    select * from {{ lake_source('lake', 'llm_calls') }}

),

renamed as (

    select
        call_id,
        trace_id,
        span_id,
        parent_span_id,
        started_at at time zone 'UTC' as called_at,
        ended_at at time zone 'UTC' as ended_at,
        nullif(trim(service_name), '') as service_name,
        lower(nullif(trim(provider), '')) as provider,
        lower(nullif(trim(operation), '')) as operation,
        nullif(trim(request_model), '') as request_model,
        nullif(trim(response_model), '') as response_model,
        nullif(trim(response_id), '') as response_id,
        input_tokens,
        cache_read_input_tokens,
        cache_write_input_tokens,
        cache_write_1h_input_tokens,
        output_tokens,
        reasoning_output_tokens,
        lower(nullif(trim(service_tier), '')) as service_tier,
        coalesce(is_batch, false) as is_batch,
        coalesce(is_streaming, false) as is_streaming,
        coalesce(is_usage_missing, false) as is_usage_missing,
        nullif(trim(feature), '') as feature,
        nullif(trim(team), '') as team,
        nullif(trim(user_id), '') as user_id,
        nullif(trim(session_id), '') as session_id,
        convention,
        kafka_topic,
        kafka_partition,
        kafka_offset
    from source

),

deduplicated as (

    select * from renamed
    qualify row_number() over (
        partition by call_id
        order by kafka_offset, kafka_partition, kafka_topic
    ) = 1

),

one_span_per_response as (

    -- Several instrumentations (or an SDK's built-in tracing) can describe the same
    -- provider response; it is billed once, preferring llmledger's own span.
    select * from deduplicated
    qualify response_id is null or row_number() over (
        partition by provider, response_id
        order by convention = 'llmledger' desc, called_at asc, call_id asc
    ) = 1

)

select * from one_span_per_response
