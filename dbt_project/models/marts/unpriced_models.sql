with

calls as (

    select * from {{ ref('fct_llm_calls') }}

),

unpriced as (

    select
        provider,
        model,
        count(*) as calls,
        cast(sum(input_tokens) as bigint) as input_tokens,
        cast(sum(output_tokens) as bigint) as output_tokens,
        min(called_at) as first_seen_at,
        max(called_at) as last_seen_at
    from calls
    where not is_priced
    group by provider, model

)

select * from unpriced
