{% macro usd_per_token(usd_per_mtok) -%}
    {#- Multiplying by a DECIMAL constant keeps the rate an exact DECIMAL; dividing by a
        million would turn it into a DOUBLE in DuckDB. -#}
    cast(cast({{ usd_per_mtok }} as decimal(18, 6)) * 0.000001 as decimal(38, 12))
{%- endmacro %}
