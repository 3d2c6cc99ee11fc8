with

calls as (

    select * from {{ ref('fct_llm_calls') }}

),

daily as (

    {{ daily_cost_rollup('calls', ['feature']) }}

)

select * from daily
