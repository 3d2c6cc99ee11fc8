{% macro attribution_bucket(column_name) -%}
    {#- A call nobody tagged is still money spent: it lands in a visible bucket instead of
        disappearing from GROUP BYs and joins. -#}
    coalesce({{ column_name }}, '(unattributed)')
{%- endmacro %}
