-- The catalogue is compared with the one the fact was priced with to find repriced days.
-- depends_on: {{ ref('stg_prices') }}

with

source as not materialized (

    -- Only the lake days the incremental build rebuilds (all of them in a full build).
    select * from {{ lake_source('lake', 'llm_calls', since_day=fact_rebuild_since()) }}

),

renamed as not materialized (

    select
        call_id,
        trace_id,
        span_id,
        parent_span_id,
        -- The instant's UTC wall-clock time, computed from its epoch microseconds instead of
        -- through the time zone library (same value, a fraction of the cost).
        make_timestamp(epoch_us(started_at)) as called_at,
        make_timestamp(epoch_us(ended_at)) as ended_at,
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
-- read: only the rows whose call_id or response may repeat go through the windows below.
-- Repeats are found on 64-bit hashes, cheap to group; a hash collision only sends a unique
-- row through the windows, which keep it. The CTEs are not materialized: each reader scans
-- the Parquet files for its own columns, cheaper than holding the whole batch in memory,
-- and the semi joins below skip their scan entirely when nothing repeats.
hashed as not materialized (

    select
        *,
        -- NULL without a call_id or response: such a row repeats nothing.
        case when call_id is not null then hash(call_id) end as call_hash,
        case
            when provider is not null and response_id is not null
                then hash(provider, response_id)
        end as response_hash
    from renamed

),

repeated_call_hashes as (

    select call_hash
    from hashed
    where call_hash is not null
    group by call_hash
    having count(*) > 1

),

repeated_response_hashes as (

    select response_hash
    from hashed
    where response_hash is not null
    group by response_hash
    having count(*) > 1

),

unrepeated as (

    select hashed.*
    from hashed
    anti join repeated_call_hashes
        on hashed.call_hash = repeated_call_hashes.call_hash
    anti join repeated_response_hashes
        on hashed.response_hash = repeated_response_hashes.response_hash

),

repeated as (

    -- A row repeating both its call_id and its response comes twice: the first window
    -- below keeps one.
    select hashed.*
    from hashed
    semi join repeated_call_hashes
        on hashed.call_hash = repeated_call_hashes.call_hash
    union all
    select hashed.*
    from hashed
    semi join repeated_response_hashes
        on hashed.response_hash = repeated_response_hashes.response_hash

),

deduplicated as (

    select * from repeated
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

    select * from unrepeated
    union all
    select * from one_span_per_response

)

select * exclude (call_hash, response_hash) from final
