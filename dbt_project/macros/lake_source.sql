{% macro lake_source(source_name, table_name, since_day=none) -%}
    {#- read_parquet fails on a glob that matches no file, so a fresh installation (empty
        lake) would not build. Read the source only when its `lake_glob` matches files, and
        otherwise an empty relation typed from the source's documented columns. Calling
        source() first keeps the lineage, also at parse time when nothing executes.

        With `since_day` (a date literal string), only the `day=` folders from that day on
        are read: the files are partitioned by day, so an incremental build opens the new
        days' files instead of the whole history. -#}
    {%- set relation = source(source_name, table_name) -%}
    {%- if not execute -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set node = graph.sources.values()
        | selectattr("source_name", "equalto", source_name)
        | selectattr("name", "equalto", table_name)
        | first -%}
    {%- set meta = node.config.meta or node.meta -%}
    {%- set file_count = run_query(
        "select count(*) from glob(" ~ dbt.string_literal(meta["lake_glob"]) ~ ")"
    ).columns[0].values()[0] -%}
    {%- if file_count > 0 and since_day is none -%}
        {{ return(relation) }}
    {%- elif file_count > 0 -%}
        {%- set columns = [] -%}
        {%- for column in node.columns.values() -%}
            {%- do columns.append(adapter.quote(column.name)) -%}
        {%- endfor -%}
        {{ return(
            "(select " ~ columns | join(", ") ~ " from read_parquet("
            ~ dbt.string_literal(meta["lake_glob"])
            ~ ", hive_partitioning = true, hive_types = {'day': date}, union_by_name = true)"
            ~ " where day >= " ~ since_day ~ ")"
        ) }}
    {%- endif -%}
    {%- set typed_nulls = [] -%}
    {%- for column in node.columns.values() -%}
        {%- do typed_nulls.append(
            "cast(null as " ~ column.data_type ~ ") as " ~ adapter.quote(column.name)
        ) -%}
    {%- endfor -%}
    {{ return("(select " ~ typed_nulls | join(", ") ~ " where false)") }}
{%- endmacro %}
