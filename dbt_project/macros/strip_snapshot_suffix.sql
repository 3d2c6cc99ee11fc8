{% macro strip_snapshot_suffix(model_name) -%}
    {#- Providers answer with dated snapshots of an alias: gpt-4o-2024-08-06 (OpenAI),
        claude-sonnet-4-5-20250929 or @20250929 (Anthropic, Vertex), gemini-2.0-flash-001
        (Google). Only a trailing date or 3-digit version is removed. -#}
    regexp_replace({{ model_name }}, '[-@](\d{4}-\d{2}-\d{2}|\d{8}|\d{3})$', '')
{%- endmacro %}
