{% test unique_combination_of_columns(model, combination_of_columns) %}
    {#- Key combinations present more than once (composite primary keys of the marts). -#}
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}
