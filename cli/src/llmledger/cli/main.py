"""`llmledger`: one command, one verb per part of the system.

    llmledger kafka up|down|status   a local Apache Kafka (not with an external cluster)
    llmledger gateway                OTLP/HTTP (4318) and OTLP/gRPC (4317) receiver -> Kafka
    llmledger ingest                 Kafka -> Parquet lake consumer (--status: counts and lag)
    llmledger compact                merge small lake files
    llmledger build                  dbt build of the warehouse
    llmledger prices refresh         regenerate the price catalogue (genai-prices + overrides)
    llmledger report                 top cost drivers from the warehouse
    llmledger sql QUERY              run a read-only query against the warehouse
    llmledger simulator              the LLM provider simulator, for trying instrumentation
    llmledger demo                   all of the above on 30 days of simulated traffic

Configuration comes from the environment: see `llmledger.infra.settings`. Each verb
imports only what it needs, so `llmledger kafka status` does not pay for dbt or Dagster.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from collections.abc import Sequence
from datetime import date

from llmledger.infra.settings import Settings

INGEST_GROUP_ID = "llmledger-ingest"  # llmledger.pipelines.ingest.DEFAULT_GROUP_ID, unimported


def _kafka(settings: Settings, args: argparse.Namespace) -> int:
    from llmledger.infra import kafka

    if args.action == "up":
        print(f"Kafka is up at {kafka.up(settings)}")
    elif args.action == "down":
        print("Kafka stopped" if kafka.down(settings) else "Kafka was not running")
    else:
        print(kafka.status(settings))
    return 0


def _with_kafka(settings: Settings) -> Settings:
    """Settings naming a reachable cluster: the configured one, else the local broker."""
    from llmledger.infra.kafka import bootstrap_servers_for

    bootstrap = bootstrap_servers_for(settings)
    if bootstrap is None:
        raise RuntimeError(
            "no Kafka to talk to: run `llmledger kafka up` or set LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS"
        )
    return dataclasses.replace(settings, kafka_bootstrap_servers=bootstrap)


def _gateway(settings: Settings, args: argparse.Namespace) -> int:
    from llmledger.pipelines import gateway

    overrides: dict[str, object] = {}
    if args.host is not None:
        overrides["gateway_host"] = args.host
    if args.port is not None:
        overrides["gateway_port"] = args.port
    if args.grpc_port is not None:
        overrides["gateway_grpc_port"] = None if args.grpc_port == "off" else int(args.grpc_port)
    gateway.serve(_with_kafka(dataclasses.replace(settings, **overrides)))  # type: ignore[arg-type]
    return 0


def _ingest(settings: Settings, args: argparse.Namespace) -> int:
    from llmledger.pipelines import ingest, ingest_status

    settings = _with_kafka(settings)
    if args.status:
        print(ingest_status.ingest_status(settings, args.group_id))
        return 0
    stats = ingest.run(
        settings,
        until_caught_up=args.until_caught_up,
        group_id=args.group_id,
        group_instance_id=args.instance_id,
    )
    print(stats)
    return 0


def _compact(settings: Settings, args: argparse.Namespace) -> int:
    from llmledger.pipelines import ingest_status

    print(ingest_status.compact(_with_kafka(settings), args.group_id))
    return 0


def _build(settings: Settings, args: argparse.Namespace) -> int:
    from llmledger.orchestration import build_warehouse

    print(
        build_warehouse(
            settings,
            select=args.select,
            full_refresh=args.full_refresh,
            rebuild_from=args.rebuild_from,
        )
    )
    return 0


def _prices(settings: Settings, args: argparse.Namespace) -> int:
    from llmledger.orchestration.lib.warehouse_dbt import WAREHOUSE_PROJECT
    from llmledger.orchestration.prices.refresh import refresh_prices

    seeds = WAREHOUSE_PROJECT.project_dir / "seeds"
    print(refresh_prices(settings.home, settings.price_overrides, seeds))
    return 0


def _report(settings: Settings, args: argparse.Namespace) -> int:
    from llmledger.cli.report import print_report

    print_report(settings.warehouse)
    return 0


def _sql(settings: Settings, args: argparse.Namespace) -> int:
    from llmledger.cli.report import run_sql

    run_sql(settings.warehouse, args.query)
    return 0


def _simulator(settings: Settings, args: argparse.Namespace) -> int:
    from llmledger.simulator import serve

    print(
        f"LLM provider simulator on http://{args.host}:{args.port} "
        f"(OpenAI base_url: http://{args.host}:{args.port}/v1); Ctrl-C stops it"
    )
    serve(args.host, args.port)
    return 0


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from llmledger.demo.runner import run_demo

    if not args.verbose:  # the demo narrates its own progress; library logs would drown it
        for name in ("", "dagster"):  # dagster's logger does not defer to the root's level
            logging.getLogger(name).setLevel(logging.WARNING)
    run_demo(settings, calls=args.calls, days=args.days)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="llmledger", description=__doc__.split("\n\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    verbs = parser.add_subparsers(dest="verb", required=True)
    kafka = verbs.add_parser("kafka", help="start, stop or inspect the local Kafka broker")
    kafka.add_argument("action", choices=["up", "down", "status"])
    kafka.set_defaults(handler=_kafka)
    gateway = verbs.add_parser("gateway", help="receive OTLP (HTTP and gRPC) and put it on Kafka")
    gateway.add_argument("--host", help="address to listen on (LLMLEDGER_GATEWAY_HOST)")
    gateway.add_argument("--port", type=int, help="OTLP/HTTP port (LLMLEDGER_GATEWAY_PORT, 4318)")
    gateway.add_argument(
        "--grpc-port", help="OTLP/gRPC port or 'off' (LLMLEDGER_GATEWAY_GRPC_PORT)"
    )
    gateway.set_defaults(handler=_gateway)
    ingest = verbs.add_parser("ingest", help="consume Kafka into the Parquet lake")
    ingest.add_argument(
        "--until-caught-up",
        action="store_true",
        help="stop once every partition is read up to where it was at start",
    )
    ingest.add_argument(
        "--status",
        action="store_true",
        help="print lake and consumer-group counts and lag, then exit",
    )
    ingest.add_argument("--group-id", default=INGEST_GROUP_ID, help="Kafka consumer group")
    ingest.add_argument("--instance-id", help="static group membership id (faster restarts)")
    ingest.set_defaults(handler=_ingest)
    compact = verbs.add_parser("compact", help="merge small lake files (safe while ingesting)")
    compact.add_argument("--group-id", default=INGEST_GROUP_ID, help="Kafka consumer group")
    compact.set_defaults(handler=_compact)
    build = verbs.add_parser("build", help="build the warehouse with dbt")
    build.add_argument("--select", help="dbt node selection, e.g. 'fct_llm_calls+'")
    build.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every incremental table from the whole lake",
    )
    build.add_argument(
        "--rebuild-from",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="also rebuild the days from this date on (late data)",
    )
    build.set_defaults(handler=_build)
    prices = verbs.add_parser("prices", help="the price catalogue (from genai-prices + overrides)")
    prices.add_argument("action", choices=["refresh"])
    prices.set_defaults(handler=_prices)
    verbs.add_parser("report", help="print the top cost drivers").set_defaults(handler=_report)
    sql = verbs.add_parser("sql", help="run a read-only SQL query against the warehouse")
    sql.add_argument("query")
    sql.set_defaults(handler=_sql)
    sim = verbs.add_parser("simulator", help="serve the OpenAI/Anthropic/Gemini simulator")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8900)
    sim.set_defaults(handler=_simulator)
    demo = verbs.add_parser("demo", help="run the whole system on simulated traffic")
    demo.add_argument("--calls", type=int, default=6000, help="calls to replay (default 6000)")
    demo.add_argument("--days", type=int, default=30, help="days of history (default 30)")
    demo.set_defaults(handler=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.handler(Settings.from_env(), args))
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        if args.verbose:
            raise
        print(f"llmledger {args.verb}: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
