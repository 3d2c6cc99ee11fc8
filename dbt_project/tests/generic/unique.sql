{% test unique(model, column_name) %}
    {#- dbt's `unique`, the same failing rows, cheaper on the ten-million-row call tables:
        grouping 64-bit hashes is several times faster than grouping the (long, random)
        ids themselves, so only the values whose hash repeats are grouped exactly. A hash
        collision just sends a unique value to the exact check, which passes it. -#}
    with

    repeated_hashes as (

        select hash({{ column_name }}) as value_hash
        from {{ model }}
        where {{ column_name }} is not null
        group by value_hash
        having count(*) > 1

    )

    select
        {{ column_name }} as unique_field,
        count(*) as n_records
    from {{ model }}
    where
        {{ column_name }} is not null
        and hash({{ column_name }}) in (select repeated_hashes.value_hash from repeated_hashes)
    group by {{ column_name }}
    having count(*) > 1
{% endtest %}
