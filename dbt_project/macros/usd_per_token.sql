{% macro usd_per_token(usd_per_mtok) -%}
    {#- Multiplying by a DECIMAL constant keeps the rate an exact DECIMAL; dividing by a
        million would turn it into a DOUBLE in DuckDB. Catalogue rates carry up to 12
        decimals (genai-prices has float-derived ones), so a token's rate needs 18. -#}
    cast(cast({{ usd_per_mtok }} as decimal(18, 12)) * 0.000001 as decimal(38, 18))
{%- endmacro %}
