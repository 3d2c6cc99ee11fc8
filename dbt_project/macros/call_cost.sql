{#- The cost of one call from its token counts and one price row: the same formula for
    every provider (their differences live in the catalogue). `t` is a relation alias with
    the lake's token columns (input_tokens is the whole prompt including cache reads and
    writes, output_tokens includes reasoning); `p` an alias of a stg_prices row. A missing
    cache rate bills those tokens as plain input (OpenAI cache writes before GPT-5.6,
    Gemini cache creation); a missing 1-hour rate bills them at the 5-minute one. Each
    part is DECIMAL(38,18); NULL token counts count as 0. -#}

{% macro uncached_input_tokens(t) -%}
    (coalesce({{ t }}.input_tokens, 0) - coalesce({{ t }}.cache_read_input_tokens, 0)
        - coalesce({{ t }}.cache_write_input_tokens, 0))
{%- endmacro %}

{% macro cache_write_5m_input_tokens(t) -%}
    (coalesce({{ t }}.cache_write_input_tokens, 0)
        - coalesce({{ t }}.cache_write_1h_input_tokens, 0))
{%- endmacro %}

{% macro input_cost_usd(t, p) -%}
    {{ uncached_input_tokens(t) }} * {{ usd_per_token(p ~ '.input_usd_per_mtok') }}
{%- endmacro %}

{% macro cache_read_cost_usd(t, p) -%}
    coalesce({{ t }}.cache_read_input_tokens, 0) * {{ usd_per_token(
        'coalesce(' ~ p ~ '.cache_read_usd_per_mtok, ' ~ p ~ '.input_usd_per_mtok)'
    ) }}
{%- endmacro %}

{% macro cache_write_5m_cost_usd(t, p) -%}
    {{ cache_write_5m_input_tokens(t) }} * {{ usd_per_token(
        'coalesce(' ~ p ~ '.cache_write_5m_usd_per_mtok, ' ~ p ~ '.input_usd_per_mtok)'
    ) }}
{%- endmacro %}

{% macro cache_write_1h_cost_usd(t, p) -%}
    coalesce({{ t }}.cache_write_1h_input_tokens, 0) * {{ usd_per_token(
        'coalesce(' ~ p ~ '.cache_write_1h_usd_per_mtok, ' ~ p ~ '.cache_write_5m_usd_per_mtok, '
        ~ p ~ '.input_usd_per_mtok)'
    ) }}
{%- endmacro %}

{% macro output_cost_usd(t, p) -%}
    coalesce({{ t }}.output_tokens, 0) * {{ usd_per_token(p ~ '.output_usd_per_mtok') }}
{%- endmacro %}

{% macro call_cost_usd(t, p) -%}
    cast(
        {{ input_cost_usd(t, p) }} + {{ cache_read_cost_usd(t, p) }}
        + {{ cache_write_5m_cost_usd(t, p) }} + {{ cache_write_1h_cost_usd(t, p) }}
        + {{ output_cost_usd(t, p) }}
        as decimal(38, 12)
    )
{%- endmacro %}

{% macro price_band_matches(t, p) -%}
    {#- Long-context tiers reprice the WHOLE request once its prompt (input including cache
        reads and writes) passes the threshold: each band is its own price row. -#}
    (
        ({{ p }}.prompt_tokens_above is null
            or coalesce({{ t }}.input_tokens, 0) > {{ p }}.prompt_tokens_above)
        and ({{ p }}.prompt_tokens_up_to is null
            or coalesce({{ t }}.input_tokens, 0) <= {{ p }}.prompt_tokens_up_to)
    )
{%- endmacro %}
