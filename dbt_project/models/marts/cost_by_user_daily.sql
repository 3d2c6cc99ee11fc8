with

calls as (

    select * from {{ ref('fct_llm_calls') }}

),

daily as (

    {{ daily_cost_rollup('calls', ['user_id']) }}

)

select * from daily
