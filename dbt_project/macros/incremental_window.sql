{#- Incremental builds rebuild a window of UTC days, [since, today]: the last
    `lookback_days` of the call fact (late spans land in already built days), widened back
    to the earliest `valid_from` of any price row added, changed or removed since the last
    build (so a price correction reprices exactly the affected history), and to the
    `rebuild_from` var when given. `none` means "rebuild everything": a first build, an
    empty fact, or `dbt build --full-refresh`.

    The fact decides the window (stg_lake__llm_calls and fct_llm_calls compute the same one,
    before the fact changes) and records it in `_llmledger_build_window`; the marts read it
    back, so every table replaces the same days. -#}

{% macro _state_relation(name) -%}
    {{ return(adapter.get_relation(database=target.database, schema=target.schema,
        identifier=name)) }}
{% endmacro %}

{% macro priced_catalogue_fingerprint() -%}
    {#- One row per catalogue price: the day it takes effect and a hash of the row, whatever
        columns the catalogue has, except provenance (a refresh that changes no price must
        not reprice anything). -#}
    {{ return(
        "select cast(prices.valid_from as date) as day,"
        ~ " md5(cast(prices as varchar)) as row_hash"
        ~ " from (select columns(lambda c: c not in ('price_source', 'price_origin',"
        ~ " 'package_version', 'refreshed_at')) from " ~ ref('stg_prices') ~ ") as prices"
    ) }}
{% endmacro %}

{% macro fact_rebuild_since() -%}
    {%- if not execute or flags.FULL_REFRESH -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set fact = _state_relation('fct_llm_calls') -%}
    {%- set catalogue = _state_relation('_llmledger_priced_catalogue') -%}
    {%- if fact is none or catalogue is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set rebuild_from = var('rebuild_from', none) -%}
    {%- set rebuild_from_sql = "cast(" ~ dbt.string_literal(rebuild_from) ~ " as date)"
        if rebuild_from else "null" -%}
    {#- The earliest of: the look-back start, the first day of a changed price, rebuild_from.
        An empty fact has no look-back start: everything is rebuilt. -#}
    {%- set query = "with current_catalogue as (" ~ priced_catalogue_fingerprint() ~ "),"
        ~ " changed_prices as ("
        ~ " (select * from current_catalogue except select * from " ~ catalogue ~ ")"
        ~ " union all"
        ~ " (select * from " ~ catalogue ~ " except select * from current_catalogue)),"
        ~ " latest as (select max(called_on) - cast(" ~ var('lookback_days')
        ~ " as integer) as day from " ~ fact ~ ")"
        ~ " select strftime(least(latest.day, (select min(day) from changed_prices), "
        ~ rebuild_from_sql ~ "), '%Y-%m-%d') from latest where latest.day is not null" -%}
    {%- set rows = run_query(query).rows -%}
    {%- if rows | length == 0 or rows[0][0] is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return("date '" ~ rows[0][0] ~ "'") }}
{% endmacro %}

{% macro record_build_window(since) -%}
    {{ return(
        "create or replace table " ~ target.schema ~ "._llmledger_build_window as select "
        ~ (since if since is not none else "null") ~ "::date as since_day"
    ) }}
{% endmacro %}

{% macro record_priced_catalogue() -%}
    {{ return(
        "create or replace table " ~ target.schema ~ "._llmledger_priced_catalogue as "
        ~ priced_catalogue_fingerprint()
    ) }}
{% endmacro %}

{% macro mart_rebuild_since() -%}
    {#- The window the fact rebuilt in this build; `none` when it rebuilt everything or this
        mart is being created or fully refreshed. -#}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set window = _state_relation('_llmledger_build_window') -%}
    {%- if window is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set since = run_query(
        "select strftime(since_day, '%Y-%m-%d') from " ~ window
    ).rows[0][0] -%}
    {{ return("date '" ~ since ~ "'" if since is not none else none) }}
{% endmacro %}

{% macro rebuilt_rows_filter(day_expression, since) -%}
    {%- if is_incremental() and since is not none -%}
        {{ return("where " ~ day_expression ~ " >= " ~ since) }}
    {%- endif -%}
    {{ return("") }}
{% endmacro %}

{% macro delete_rebuilt_rows(day_expression, since) -%}
    {#- Pre-hook of an incremental table: drop the days about to be rebuilt (all of them when
        `since` is none), so days that lost rows do not keep stale ones. -#}
    {%- if not is_incremental() -%}
        {{ return("select 1") }}
    {%- endif -%}
    {{ return("delete from " ~ this ~ (
        " where " ~ day_expression ~ " >= " ~ since if since is not none else ""
    )) }}
{% endmacro %}

{% macro month_rebuild_since() -%}
    {%- set since = mart_rebuild_since() -%}
    {{ return("cast(date_trunc('month', " ~ since ~ ") as date)" if since is not none
        else none) }}
{% endmacro %}

{% macro relation_has_column(relation, column_name) -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
    {{ return(column_name in names) }}
{% endmacro %}
