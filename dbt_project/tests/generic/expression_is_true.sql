{% test expression_is_true(model, expression, where_clause=none, column_name=none) %}
    {#- Rows where an invariant does not hold; the test passes when there are none. Applied
        to a column, the expression is still written out in full. -#}
    select *
    from {{ model }}
    where not coalesce({{ expression }}, false)
    {%- if where_clause %} and ({{ where_clause }}){% endif %}
{% endtest %}
