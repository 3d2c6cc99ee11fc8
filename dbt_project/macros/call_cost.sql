{#- The cost of one call from its token counts and one price row: the same formula for
    every provider (their differences live in the catalogue). `t` is a relation alias with
    the lake's token columns (input_tokens is the whole prompt including cache reads and
    writes, output_tokens includes reasoning); `r` an alias with the price row's per-token
    rates from price_rates() (`suffix` '_12': the same rates at 12 decimals). A missing cache rate bills those tokens as plain input (OpenAI
    cache writes before GPT-5.6, Gemini cache creation); a missing 1-hour rate bills them
    at the 5-minute one. Each part is DECIMAL(38,18) (DECIMAL(38,12) with the '_12' rates);
    NULL token counts count as 0. -#}

{% macro price_rates(p) -%}
    {#- The per-token rates of the stg_prices row `p`, with the fallbacks above: computed
        once per price row, not once per call. -#}
    {{ usd_per_token(p ~ '.input_usd_per_mtok') }} as input_rate,
    {{ usd_per_token(
        'coalesce(' ~ p ~ '.cache_read_usd_per_mtok, ' ~ p ~ '.input_usd_per_mtok)'
    ) }} as cache_read_rate,
    {{ usd_per_token(
        'coalesce(' ~ p ~ '.cache_write_5m_usd_per_mtok, ' ~ p ~ '.input_usd_per_mtok)'
    ) }} as cache_write_5m_rate,
    {{ usd_per_token(
        'coalesce(' ~ p ~ '.cache_write_1h_usd_per_mtok, ' ~ p ~ '.cache_write_5m_usd_per_mtok, '
        ~ p ~ '.input_usd_per_mtok)'
    ) }} as cache_write_1h_rate,
    {{ usd_per_token(p ~ '.output_usd_per_mtok') }} as output_rate
{%- endmacro %}

{% macro uncached_input_tokens(t) -%}
    (coalesce({{ t }}.input_tokens, 0) - coalesce({{ t }}.cache_read_input_tokens, 0)
        - coalesce({{ t }}.cache_write_input_tokens, 0))
{%- endmacro %}

{% macro cache_write_5m_input_tokens(t) -%}
    (coalesce({{ t }}.cache_write_input_tokens, 0)
        - coalesce({{ t }}.cache_write_1h_input_tokens, 0))
{%- endmacro %}

{% macro input_cost_usd(t, r, suffix='') -%}
    {{ uncached_input_tokens(t) }} * {{ r }}.input_rate{{ suffix }}
{%- endmacro %}

{% macro cache_read_cost_usd(t, r, suffix='') -%}
    coalesce({{ t }}.cache_read_input_tokens, 0) * {{ r }}.cache_read_rate{{ suffix }}
{%- endmacro %}

{% macro cache_write_5m_cost_usd(t, r, suffix='') -%}
    {{ cache_write_5m_input_tokens(t) }} * {{ r }}.cache_write_5m_rate{{ suffix }}
{%- endmacro %}

{% macro cache_write_1h_cost_usd(t, r, suffix='') -%}
    coalesce({{ t }}.cache_write_1h_input_tokens, 0) * {{ r }}.cache_write_1h_rate{{ suffix }}
{%- endmacro %}

{% macro output_cost_usd(t, r, suffix='') -%}
    coalesce({{ t }}.output_tokens, 0) * {{ r }}.output_rate{{ suffix }}
{%- endmacro %}
