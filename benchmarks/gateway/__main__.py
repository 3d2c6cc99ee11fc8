"""Gateway benchmark, two parts, each with its baseline measured in the same run.

1. CPU per export, no I/O: protobuf decode alone (the floor any receiver pays) against the
   gateway's work before Kafka (decode + id validation + split into per-trace messages).
   Rounds interleave the two and the best round of each is kept (noise only adds time).
2. With a real broker: a bare producer (the gateway's configuration) writing the same
   per-trace messages asynchronously, against (a) the gateway's intake in this process
   (`ExportIntake.store` from `--clients` threads: decode, split, produce, wait for every
   ack) and (b) the whole gateway in its own process receiving the exports over OTLP/HTTP
   from `--clients` keep-alive connections. Spans/s for each and the ratio to the producer.
   The HTTP clients are Python too and share the machine's cores with the gateway.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import socket
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

from confluent_kafka import Producer
from google.protobuf.internal import api_implementation
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from benchmarks.gateway.exports import SPANS_PER_EXPORT, build_exports
from llmledger.infra.kafka import LocalKafka, ensure_topics
from llmledger.infra.settings import Settings
from llmledger.pipelines.delivery import AckedProducer, producer_config
from llmledger.pipelines.gateway import serve
from llmledger.pipelines.gateway_intake import Encoding, ExportIntake
from llmledger.pipelines.gateway_metrics import GatewayMetrics, Transport
from llmledger.pipelines.gateway_split import split_by_trace
from llmledger.pipelines.otlp import decode_protobuf


def cpu_part(exports: list[bytes], rounds: int) -> dict[str, float]:
    def decode_only() -> None:
        for export in exports:
            ExportTraceServiceRequest.FromString(export)

    def validated() -> None:
        for export in exports:
            decode_protobuf(export)

    def gateway_work() -> None:
        for export in exports:
            split_by_trace(decode_protobuf(export), export)

    stages = {
        "decode only": decode_only,
        "decode + validate ids": validated,
        "decode + validate + split": gateway_work,
    }
    best = dict.fromkeys(stages, float("inf"))
    for _ in range(rounds):
        for name, work in stages.items():
            began = time.perf_counter()
            work()
            best[name] = min(best[name], time.perf_counter() - began)
    return {name: len(exports) * SPANS_PER_EXPORT / seconds for name, seconds in best.items()}


def bare_producer(bootstrap: str, topic: str, exports: list[bytes]) -> float:
    messages = [m for e in exports for m in split_by_trace(decode_protobuf(e), e)]
    producer = Producer(producer_config(bootstrap, delivery_timeout_s=60))
    producer.produce(topic, b"warm-up")  # metadata, producer id: not part of the rate
    producer.flush(60)
    began = time.perf_counter()
    for message in messages:
        while True:
            try:
                producer.produce(topic, message.value, key=message.key)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    if producer.flush(120):
        raise RuntimeError("the bare producer could not deliver everything")
    return len(exports) * SPANS_PER_EXPORT / (time.perf_counter() - began)


def intake_only(bootstrap: str, topic: str, exports: list[bytes], clients: int) -> float:
    """The gateway's work without HTTP: `ExportIntake.store` from `clients` threads."""
    producer = AckedProducer(bootstrap)
    intake = ExportIntake(producer, topic=topic, metrics=GatewayMetrics())
    intake.store(exports[0], Encoding.PROTOBUF, Transport.HTTP)  # warm-up

    def client(share: list[bytes]) -> None:
        for body in share:
            intake.store(body, Encoding.PROTOBUF, Transport.HTTP)

    threads = [threading.Thread(target=client, args=(exports[i::clients],)) for i in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    producer.close()
    return len(exports) * SPANS_PER_EXPORT / elapsed


def through_gateway(port: int, exports: list[bytes], clients: int) -> float:
    failures: list[int] = []

    def client(share: list[bytes]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for body in share:
            headers = {"Content-Type": "application/x-protobuf"}
            connection.request("POST", "/v1/traces", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                failures.append(response.status)
        connection.close()

    client(exports[:1])  # warm-up: connection, metadata, producer id
    threads = [threading.Thread(target=client, args=(exports[i::clients],)) for i in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise RuntimeError(f"the gateway refused {len(failures)} exports: {set(failures)}")
    return len(exports) * SPANS_PER_EXPORT / elapsed


def wait_for_port(port: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the gateway did not come up")
        time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def kafka_part(bootstrap: str, exports: list[bytes], clients: int) -> dict[str, float]:
    run = uuid.uuid4().hex[:8]
    bare_topic, gateway_topic = f"bench.gateway.bare.{run}", f"bench.gateway.otlp.{run}"
    ensure_topics(bootstrap, {bare_topic: 6, gateway_topic: 6})
    bare = bare_producer(bootstrap, bare_topic, exports)
    intake = intake_only(bootstrap, bare_topic, exports, clients)
    port = free_port()
    settings = Settings.from_env(
        {
            "LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "LLMLEDGER_TOPIC": gateway_topic,
            "LLMLEDGER_GATEWAY_PORT": str(port),
            "LLMLEDGER_GATEWAY_GRPC_PORT": "off",
            "LLMLEDGER_GATEWAY_MAX_BODY_BYTES": str(10_000_000),
        }
    )
    process = multiprocessing.get_context("spawn").Process(target=serve, args=(settings,))
    process.start()
    try:
        wait_for_port(port)
        gateway = through_gateway(port, exports, clients)
    finally:
        process.terminate()  # SIGTERM: the gateway stops cleanly
        process.join(30)
    return {
        "bare producer": bare,
        "gateway intake, no HTTP": intake,
        "gateway over OTLP/HTTP": gateway,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gateway")
    parser.add_argument("--exports", type=int, default=200, help="512-span exports per part")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--bootstrap", help="use this Kafka instead of starting one")
    parser.add_argument("--no-kafka", action="store_true", help="CPU part only")
    args = parser.parse_args(argv)
    print(f"protobuf backend: {api_implementation.Type()}; {SPANS_PER_EXPORT} spans per export")
    exports = build_exports(args.exports)
    cpu = cpu_part(exports, args.rounds)
    floor = cpu["decode only"]
    for name, rate in cpu.items():
        print(f"  {name:28} {rate:12,.0f} spans/s  {rate / floor:5.2f} x decode only")
    if args.no_kafka:
        return
    with ExitStack() as stack:
        bootstrap = args.bootstrap
        if bootstrap is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            bootstrap = stack.enter_context(LocalKafka(folder / "kafka")).bootstrap_servers
        end_to_end = kafka_part(bootstrap, exports, args.clients)
    base = end_to_end["bare producer"]
    for name, rate in end_to_end.items():
        print(f"  {name:28} {rate:12,.0f} spans/s  {rate / base:5.2f} x bare producer")


if __name__ == "__main__":
    main()
