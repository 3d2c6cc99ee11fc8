{#- Incremental: rebuilds every month the fact touched, whole (shares need the full
    month). -#}
{%- set month_since = month_rebuild_since() -%}
{{ config(pre_hook="{{ delete_rebuilt_rows('month', month_rebuild_since()) }}") }}

with

calls as (

    select * from {{ ref('fct_llm_calls') }}
    {{ rebuilt_rows_filter('called_on', month_since) }}

),

monthly as (

    select
        cast(date_trunc('month', called_on) as date) as month,
        team,
        count(*) as calls,
        count(*) filter (where cost_usd is null) as unpriced_calls,
        cast(sum(cost_usd) as decimal(38, 12)) as cost_usd
    from calls
    group by month, team

),

shared as (

    select
        *,
        cast(cost_usd as double)
        / nullif(cast(sum(cost_usd) over (partition by month) as double), 0)
            as share_of_total
    from monthly

)

select * from shared
