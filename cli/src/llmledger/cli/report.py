"""`llmledger report` and `llmledger sql`: read the warehouse's marts and print them.

The warehouse is opened read-only, so a report can never change it; while a build holds
the file, DuckDB refuses the connection with a lock error instead of reading half a build.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

Print = Callable[[str], None]

TOP_N = 5
_TOTALS = """
    select count(*), count(*) filter (where is_priced), sum(cost_usd),
           min(called_at)::date, max(called_at)::date
    from fct_llm_calls
"""
_TOP = """
    select {key}, sum(calls) as calls, sum(input_tokens) as input_tokens,
           sum(output_tokens) as output_tokens, sum(cost_usd) as cost_usd
    from {mart} group by all order by cost_usd desc nulls last, calls desc limit {n}
"""
_TEAMS = """
    select month, team, calls, cost_usd, share_of_total from cost_by_team_monthly
    where month = (select max(month) from cost_by_team_monthly) order by cost_usd desc
"""
_UNPRICED = "select provider, model, calls from unpriced_models order by calls desc"


def format_usd(value: Decimal | None) -> str:
    return "unpriced" if value is None else f"${value:,.2f}"


def format_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    money = [h.endswith("_usd") for h in header]
    cells = [[_cell(v, m) for v, m in zip(row, money, strict=True)] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    for row in cells:
        # Text left, numbers right, as a reader scans them.
        lines.append("  ".join(_align(c, w) for c, w in zip(row, widths, strict=True)))
    return "\n".join(lines)


def _cell(value: Any, is_money: bool) -> str:
    if is_money or isinstance(value, Decimal):
        return format_usd(value)
    if isinstance(value, float):
        return f"{value:.1%}"
    if isinstance(value, int):
        return f"{value:,}"
    return "(none)" if value is None else str(value)


def _align(cell: str, width: int) -> str:
    numeric = cell[:1].isdigit() or cell.startswith("$")
    return cell.rjust(width) if numeric else cell.ljust(width)


def print_report(warehouse: Path, out: Print = print) -> None:
    """Totals, then the top cost drivers per feature, user and model, then team shares."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        calls, priced, cost, first, last = con.execute(_TOTALS).fetchone() or (
            0,
            0,
            None,
            None,
            None,
        )
        out(
            f"\n{calls:,} LLM calls from {first} to {last}: {format_usd(cost)} "
            f"({priced:,} priced, {calls - priced:,} unpriced)"
        )
        for title, mart, key in (
            ("feature", "cost_by_feature_daily", "feature"),
            ("user", "cost_by_user_daily", "user_id"),
            ("model", "cost_by_model_daily", "provider, model"),
        ):
            rows = con.execute(_TOP.format(key=key, mart=mart, n=TOP_N)).fetchall()
            header = [*key.split(", "), "calls", "input_tokens", "output_tokens", "cost_usd"]
            out(f"\nTop {TOP_N} {title}s by cost\n" + format_table(header, rows))
        teams = con.execute(_TEAMS).fetchall()
        header = ["month", "team", "calls", "cost_usd", "share_of_total"]
        out("\nCost by team, latest month\n" + format_table(header, teams))
        unpriced = con.execute(_UNPRICED).fetchall()
        if unpriced:
            out(
                "\nUnpriced models (cost unknown, not $0: add them to the price overrides)\n"
                + format_table(["provider", "model", "calls"], unpriced)
            )


def run_sql(warehouse: Path, query: str, out: Print = print) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        result = con.execute(query)
        header = [d[0] for d in result.description or []]
        out(format_table(header, result.fetchall()))
