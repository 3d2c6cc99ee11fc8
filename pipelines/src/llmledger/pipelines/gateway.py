"""OTLP receivers (HTTP on 4318, gRPC on 4317) that put every trace on Kafka.

Each export is split into one Kafka message per trace (`gateway_split`), keyed by the hex
trace id like the Collector's kafkaexporter with `partition_traces_by_id`, written by an
idempotent `acks=all` compressed producer. The exporter gets its success only after Kafka
acknowledged every message of its export.

Guarantee: an export answered with success is entirely in Kafka. An export answered with a
retryable error (HTTP 429/503 + `Retry-After`, gRPC UNAVAILABLE/RESOURCE_EXHAUSTED + RetryInfo)
may have been partly written, so after the exporter's retry some of its traces can be in
Kafka twice: at-least-once, never lost (the warehouse deduplicates calls by `call_id`).
The one non-retryable Kafka refusal is a trace larger than the broker accepts (413 /
INVALID_ARGUMENT): the exporter drops it, the gateway counts it (`/metrics`).

Usage::

    serve(Settings.from_env())     # blocks until SIGTERM/SIGINT or shutdown()

    with Gateway(settings, port=0, grpc_port=0) as gateway:   # tests: free ports
        gateway.url, gateway.grpc_target
"""

from __future__ import annotations

import logging
import ssl
import threading
from pathlib import Path
from types import TracebackType

from llmledger.infra.settings import Settings
from llmledger.pipelines.delivery import AckedProducer
from llmledger.pipelines.gateway_grpc import build_grpc_server
from llmledger.pipelines.gateway_http import OtlpServer
from llmledger.pipelines.gateway_intake import ExportIntake
from llmledger.pipelines.gateway_metrics import GatewayMetrics
from llmledger.pipelines.signals import stop_on_signals

log = logging.getLogger(__name__)

_shutdown_requested = threading.Event()
_GRPC_GRACE_S = 5.0
_MESSAGE_OVERHEAD_BYTES = 64 * 1024


class Gateway:
    """The OTLP/HTTP server, optionally the OTLP/gRPC server, and their shared Kafka producer.

    `host`/`port` and the limits default to the settings; `port=0` binds any free port. The
    gRPC receiver runs only when `grpc_port` is given (`serve()` passes the settings' port).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        host: str | None = None,
        port: int | None = None,
        grpc_port: int | None = None,
        max_body_bytes: int | None = None,
        delivery_timeout_s: float | None = None,
        retry_after_s: int | None = None,
    ) -> None:
        if not settings.kafka_bootstrap_servers:
            raise ValueError("the gateway needs Kafka: set LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS")
        if (settings.gateway_tls_cert is None) != (settings.gateway_tls_key is None):
            raise ValueError("set both LLMLEDGER_GATEWAY_TLS_CERT and _TLS_KEY, or neither")
        host = settings.gateway_host if host is None else host
        body_limit = settings.gateway_max_body_bytes if max_body_bytes is None else max_body_bytes
        retry_after = settings.gateway_retry_after_s if retry_after_s is None else retry_after_s
        self.metrics = GatewayMetrics()
        self._producer = AckedProducer(
            settings.kafka_bootstrap_servers,
            delivery_timeout_s=settings.gateway_delivery_timeout_s
            if delivery_timeout_s is None
            else delivery_timeout_s,
            # One trace can be as large as its export; the margin covers keys and framing.
            max_message_bytes=max(1_000_000, body_limit + _MESSAGE_OVERHEAD_BYTES),
        )
        intake = ExportIntake(
            self._producer,
            topic=settings.topic,
            metrics=self.metrics,
            token=settings.gateway_token,
            max_inflight_bytes=settings.gateway_max_inflight_bytes,
        )
        self._tls = _tls_files(settings)
        self._thread: threading.Thread | None = None
        self._grpc = None
        try:
            self._server = OtlpServer(
                (host, settings.gateway_port if port is None else port),
                intake=intake,
                max_body_bytes=body_limit,
                retry_after_s=retry_after,
                tls=_server_context(*self._tls) if self._tls else None,
            )
            if grpc_port is not None:
                self._grpc, self._grpc_port, self._grpc_health = build_grpc_server(
                    intake,
                    host=host,
                    port=grpc_port,
                    max_message_bytes=body_limit,
                    retry_after_s=retry_after,
                    tls_key_and_cert=_read_key_and_cert(*self._tls) if self._tls else None,
                )
        except (OSError, ssl.SSLError):
            self._producer.close(0)
            raise

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:4318` (append `/v1/traces`)."""
        host, port = self._server.server_address[:2]
        scheme = "https" if self._tls else "http"
        return f"{scheme}://{host!s}:{port}"

    @property
    def grpc_target(self) -> str | None:
        """`host:port` of the gRPC receiver, or None when it is not running."""
        if self._grpc is None:
            return None
        return f"{self._server.server_address[0]!s}:{self._grpc_port}"

    def start(self) -> Gateway:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="otlp-gateway", daemon=True
        )
        self._thread.start()
        log.info("OTLP/HTTP gateway listening on %s/v1/traces", self.url)
        if self._grpc is not None:
            self._grpc.start()
            log.info("OTLP/gRPC gateway listening on %s", self.grpc_target)
        return self

    def stop(self) -> None:
        """Stop accepting exports, answer those in flight, then deliver what is queued."""
        if self._grpc is not None:
            self._grpc_health.enter_graceful_shutdown()
            self._grpc.stop(_GRPC_GRACE_S).wait()
            self._grpc = None
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
    """Run the gateway on the settings' HTTP (and gRPC, unless disabled) ports until
    SIGTERM/SIGINT or `shutdown()`.

    `ready` is set once the ports are bound. Signals are handled only when called from the
    main thread (Python allows no other); from any thread, `shutdown()` works.
    """
    _shutdown_requested.clear()
    with (
        stop_on_signals(_shutdown_requested),
        Gateway(settings, grpc_port=settings.gateway_grpc_port),
    ):
        if ready is not None:
            ready.set()
        _shutdown_requested.wait()
        log.info("gateway shutting down")


def shutdown() -> None:
    """Ask a running `serve()` to stop (requests in flight are answered first)."""
    _shutdown_requested.set()


def _tls_files(settings: Settings) -> tuple[Path, Path] | None:
    if settings.gateway_tls_cert is None or settings.gateway_tls_key is None:
        return None
    return settings.gateway_tls_cert, settings.gateway_tls_key


def _server_context(cert_file: Path, key_file: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


def _read_key_and_cert(cert_file: Path, key_file: Path) -> tuple[bytes, bytes]:
    return key_file.read_bytes(), cert_file.read_bytes()
