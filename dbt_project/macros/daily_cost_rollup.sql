{#- Calls, tokens and cost per UTC day and the given key columns: the one shape every
    daily cost mart shares, so they always add up the same way. -#}
{% macro daily_cost_rollup(relation, keys) %}
    select
        called_on as day,
        {{ keys | join(', ') }},
        count(*) as calls,
        count(*) filter (where cost_usd is null) as unpriced_calls,
        cast(sum(input_tokens) as bigint) as input_tokens,
        cast(sum(cache_read_input_tokens) as bigint) as cache_read_input_tokens,
        cast(sum(cache_write_input_tokens) as bigint) as cache_write_input_tokens,
        cast(sum(output_tokens) as bigint) as output_tokens,
        cast(sum(reasoning_output_tokens) as bigint) as reasoning_output_tokens,
        cast(sum(cost_usd) as decimal(38, 12)) as cost_usd
    from {{ relation }}
    group by called_on, {{ keys | join(', ') }}
{% endmacro %}
