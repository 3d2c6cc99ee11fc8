-- The catalogue is compared with the one the fact was priced with to find repriced days.
-- depends_on: {{ ref('stg_prices') }}

with

source as (

    -- Only the lake days the incremental build rebuilds (all of them in a full build).
    select * from {{ lake_source('lake', 'llm_calls', since_day=fact_rebuild_since()) }}

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

-- Duplicates are rare, and numbering every row of a large batch costs several times the
-- read: only the rows of a call_id or a response seen more than once go through the
-- windows below.
repeated_calls as (

    select call_id
    from renamed
    group by call_id
    having count(*) > 1

),

repeated_responses as (

    select
        provider,
        response_id
    from renamed
    where response_id is not null
    group by provider, response_id
    having count(*) > 1

),

flagged as (

    select
        renamed.*,
        repeated_calls.call_id is not null
        or repeated_responses.response_id is not null as is_repeated
    from renamed
    left join repeated_calls
        on renamed.call_id = repeated_calls.call_id
    left join repeated_responses
        on
            renamed.provider = repeated_responses.provider
            and renamed.response_id = repeated_responses.response_id

),

deduplicated as (

    select * from flagged
    where is_repeated
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

),

final as (

    select * exclude (is_repeated) from flagged
    where not is_repeated
    union all
    select * exclude (is_repeated) from one_span_per_response

)

select * from final
