"""OTLP/HTTP trace receiver that writes each export to Kafka, like the Collector's kafkaexporter.

`POST /v1/traces` takes `application/x-protobuf` or `application/json` (optionally
gzip-encoded). Each valid export becomes one Kafka message on `settings.topic` holding the
serialized `ExportTraceServiceRequest` (the Collector's `otlp_proto` encoding; JSON is
re-encoded). The exporter gets its 200 only once Kafka acknowledged the message.

Status codes follow the OTLP/HTTP spec so exporters retry exactly when they should:
200 stored; 400 malformed (never retried); 413 too large; 415 unknown content type;
503 + `Retry-After` when Kafka cannot take the export (retried). `GET /health` -> 200.

Usage::

    serve(Settings.from_env())                 # blocks until SIGTERM/SIGINT or shutdown()

    with Gateway(settings, port=0) as gateway:  # tests: any free port
        post(gateway.url + "/v1/traces", ...)
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from llmledger.infra.settings import Settings
from llmledger.pipelines.delivery import AckedProducer
from llmledger.pipelines.gateway_http import OtlpServer
from llmledger.pipelines.signals import stop_on_signals

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 1_000_000  # librdkafka's default message.max.bytes
DEFAULT_DELIVERY_TIMEOUT_S = 10.0  # the OTLP exporters' default request timeout

_shutdown_requested = threading.Event()


class Gateway:
    """An OTLP/HTTP server plus its Kafka producer; `start()` serves from a background thread.

    `host`/`port` default to the settings; pass `port=0` to bind any free port.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        host: str | None = None,
        port: int | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        delivery_timeout_s: float = DEFAULT_DELIVERY_TIMEOUT_S,
        retry_after_s: int = 2,
    ) -> None:
        if not settings.kafka_bootstrap_servers:
            raise ValueError("the gateway needs Kafka: set LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS")
        self._producer = AckedProducer(
            settings.kafka_bootstrap_servers, delivery_timeout_s=delivery_timeout_s
        )
        address = (
            settings.gateway_host if host is None else host,
            settings.gateway_port if port is None else port,
        )
        try:
            self._server = OtlpServer(
                address,
                producer=self._producer,
                topic=settings.topic,
                max_body_bytes=max_body_bytes,
                retry_after_s=retry_after_s,
            )
        except OSError:
            self._producer.close(0)
            raise
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:4318` (append `/v1/traces`)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Gateway:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="otlp-gateway", daemon=True
        )
        self._thread.start()
        log.info("OTLP/HTTP gateway listening on %s/v1/traces", self.url)
        return self

    def stop(self) -> None:
        """Stop accepting requests, then deliver what the producer still holds."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()
        self._producer.close()

    def __enter__(self) -> Gateway:
        return self.start()

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.stop()


def serve(settings: Settings, *, ready: threading.Event | None = None) -> None:
    """Run the gateway on `settings.gateway_host:gateway_port` until SIGTERM/SIGINT or `shutdown()`.

    `ready` is set once the port is bound. Signals are handled only when called from the
    main thread (Python allows no other); from any thread, `shutdown()` works.
    """
    _shutdown_requested.clear()
    with stop_on_signals(_shutdown_requested), Gateway(settings):
        if ready is not None:
            ready.set()
        _shutdown_requested.wait()
        log.info("gateway shutting down")


def shutdown() -> None:
    """Ask a running `serve()` to stop (requests in flight are answered first)."""
    _shutdown_requested.set()
