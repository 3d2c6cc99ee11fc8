{#- Incremental: rebuilds the days the fact rebuilt (macros/incremental_window.sql). -#}
{%- set since = mart_rebuild_since() -%}
{{ config(pre_hook="{{ delete_rebuilt_rows('day', mart_rebuild_since()) }}") }}

with

calls as (

    select * from {{ ref('fct_llm_calls') }}
    {{ rebuilt_rows_filter('called_on', since) }}

),

daily as (

    {{ daily_cost_rollup('calls', ['user_id']) }}

)

select * from daily
