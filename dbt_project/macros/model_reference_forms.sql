{% macro compact_date_dashed(model_name) -%}
    {#- LiteLLM / OpenRouter spell snapshots `-20251211`; the catalogue's aliases use the
        dashed `-2025-12-11` (genai-prices retries with it too). -#}
    regexp_replace(
        {{ model_name }}, '-(20\d{2})(0[1-9]|1[0-2])([0-3]\d)(-|:|$)', '-\1-\2-\3\4'
    )
{%- endmacro %}

{% macro without_path_prefix(model_name) -%}
    {#- `openai/gpt-4o`, Vertex's `publishers/google/models/gemini-2.5-pro`: the model is
        the last path segment. -#}
    regexp_replace({{ model_name }}, '^.*/', '')
{%- endmacro %}
