{#- Incremental: rebuilds the days the fact rebuilt (macros/incremental_window.sql). -#}
{%- set since = mart_rebuild_since() -%}
{{ config(pre_hook="{{ delete_rebuilt_rows('day', mart_rebuild_since()) }}") }}

with

calls as (

    select * from {{ ref('fct_llm_calls') }}
    {{ rebuilt_rows_filter('called_on', since) }}

),

by_catalogue_model as (

    -- Snapshots of one model (gpt-4o-mini-2024-07-18, ...) roll up under the catalogue
    -- model they are priced as; unpriced calls keep the name the provider served.
    select * replace (coalesce(priced_model, model) as model)
    from calls

),

daily as (

    {{ daily_cost_rollup('by_catalogue_model', ['provider', 'model']) }}

)

select * from daily
