"""`llmledger demo`: the whole system, end to end, on one machine.

Starts a real Kafka broker (unless LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS names one), the OTLP
gateway and the provider simulator; runs three instrumented services as separate
processes that replay 30 days of a company's LLM traffic through the official SDKs; then
ingests the spans into the lake, builds the warehouse and prints the cost report.
Everything lives under `<LLMLEDGER_HOME>/demo`, wiped at the start so each run tells the
same story; everything the demo started is stopped when it ends, even on failure.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from llmledger.cli.report import print_report
from llmledger.demo.service import write_plan
from llmledger.demo.workload import FEATURES, plan_calls
from llmledger.infra.kafka import LocalKafka, ensure_topics
from llmledger.infra.settings import Settings
from llmledger.orchestration import build_warehouse
from llmledger.pipelines import ingest
from llmledger.pipelines.gateway import Gateway
from llmledger.simulator import Simulator

Print = Callable[[str], None]
TOPIC_PARTITIONS = 3


@contextmanager
def _step(out: Print, title: str) -> Iterator[None]:
    started = time.monotonic()
    out(f"==> {title}")
    yield
    out(f"    done in {time.monotonic() - started:.1f}s")


def demo_settings(settings: Settings) -> Settings:
    home = settings.home / "demo"
    # On a shared cluster the demo gets a topic of its own, so it never reads real traffic.
    topic = (
        settings.topic
        if settings.kafka_bootstrap_servers is None
        else f"{settings.topic}.demo-{int(time.time())}"
    )
    return dataclasses.replace(
        settings,
        home=home,
        topic=topic,
        dead_letter_topic=f"{topic}.dlq",
        lake=home / "lake",
        warehouse=home / "warehouse.duckdb",
    )


def _start_kafka(stack: ExitStack, settings: Settings, out: Print) -> Settings:
    if settings.kafka_bootstrap_servers:
        out(f"    using the existing cluster at {settings.kafka_bootstrap_servers}")
        return settings
    broker = LocalKafka(settings.kafka_home)
    broker.start()
    stack.callback(broker.stop)
    out(f"    started Apache Kafka at {broker.bootstrap_servers}")
    return dataclasses.replace(settings, kafka_bootstrap_servers=broker.bootstrap_servers)


def _run_services(
    plan_file: Path, services: list[str], gateway_url: str, sim: Simulator, total: int, out: Print
) -> None:
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llmledger.demo.service",
                str(plan_file),
                name,
                gateway_url,
                sim.url,
            ]
        )
        for name in services
    ]
    try:
        while any(p.poll() is None for p in processes):
            time.sleep(2)
            out(f"    {sim.requests_served:,} of {total:,} calls made")
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
    failed = [name for name, p in zip(services, processes, strict=True) if p.returncode != 0]
    if failed:
        raise RuntimeError(f"demo service(s) failed: {', '.join(failed)}")


def run_demo(settings: Settings, calls: int = 6000, days: int = 30, out: Print = print) -> None:
    settings = demo_settings(settings)
    shutil.rmtree(settings.home, ignore_errors=True)
    settings.home.mkdir(parents=True)
    started = time.monotonic()
    with ExitStack() as stack:
        with _step(out, "Starting Kafka, the OTLP gateway and the provider simulator"):
            settings = _start_kafka(stack, settings, out)
            assert settings.kafka_bootstrap_servers is not None
            ensure_topics(
                settings.kafka_bootstrap_servers,
                {settings.topic: TOPIC_PARTITIONS, settings.dead_letter_topic: 1},
            )
            gateway = stack.enter_context(Gateway(settings, port=0))
            sim = stack.enter_context(Simulator())
            out(f"    gateway {gateway.url}, simulator {sim.url}")
        services = sorted({f.service for f in FEATURES})
        plan = plan_calls(calls, days)
        with _step(
            out, f"Replaying {days} days: {len(plan):,} calls from {len(services)} services"
        ):
            plan_file = settings.home / "plan.jsonl"
            write_plan(plan, plan_file)
            _run_services(plan_file, services, gateway.url, sim, len(plan), out)
        with _step(out, "Ingesting spans from Kafka into the Parquet lake"):
            stats = ingest.run(settings, until_caught_up=True)
            out(
                f"    {stats.messages:,} Kafka messages, {stats.llm_rows_written:,} LLM calls, "
                f"{stats.files_written:,} files, {stats.dead_lettered} dead-lettered"
            )
        with _step(out, "Building the warehouse with dbt"):
            build_warehouse(settings)
        with _step(out, "Stopping what the demo started"):
            stack.close()
    print_report(settings.warehouse, out)
    out(f"\nDemo finished in {time.monotonic() - started:.0f}s.")
    out(f"Warehouse: {settings.warehouse}  (lake: {settings.lake})")
    out(
        "Query it, e.g.:\n"
        f"  LLMLEDGER_WAREHOUSE={settings.warehouse} llmledger sql "
        '"select feature, sum(cost_usd) as cost_usd from cost_by_feature_daily '
        'group by 1 order by 2 desc"'
    )
