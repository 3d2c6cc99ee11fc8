{#- Incremental: rebuilds the days the fact rebuilt (macros/incremental_window.sql). -#}
{%- set since = mart_rebuild_since() -%}
{{ config(pre_hook="{{ delete_rebuilt_rows('day', mart_rebuild_since()) }}") }}

with

calls as (

    select * from {{ ref('fct_llm_calls') }}
    {{ rebuilt_rows_filter('called_on', since) }}

),

daily as (

    select
        called_on as day,
        feature,
        count(*) as calls,
        count(*) filter (where cost_usd is null) as unpriced_calls,
        -- Untagged users and sessions are not "one user": they are left out of the counts.
        count(distinct user_id) filter (where user_id != '(unattributed)') as active_users,
        count(distinct session_id) as sessions,
        cast(sum(cost_usd) as decimal(38, 12)) as cost_usd
    from calls
    group by called_on, feature

),

ratios as (

    select
        *,
        cast(cost_usd as double) / nullif(calls - unpriced_calls, 0) as cost_per_call_usd,
        cast(cost_usd as double) / nullif(active_users, 0) as cost_per_active_user_usd,
        cast(cost_usd as double) / nullif(sessions, 0) as cost_per_session_usd
    from daily

)

select * from ratios
