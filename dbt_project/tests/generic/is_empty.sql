{% test is_empty(model) %}
    {#- Fails (or warns, with severity: warn) on every row of the model. -#}
    select * from {{ model }}
{% endtest %}
