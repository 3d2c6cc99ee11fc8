"""The gateway's OTLP/HTTP layer on top of `http.server` (HTTP/1.1 keep-alive, optional TLS).

`POST /v1/traces` (protobuf or JSON, optionally gzip) -> `ExportIntake.store`;
`GET /health` -> Kafka reachability; `GET /metrics` -> Prometheus text.
"""

from __future__ import annotations

import json
import logging
import socket
import ssl
import time
import zlib
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf import json_format
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from llmledger.pipelines.gateway_intake import Encoding, ExportIntake, ExportRejectedError
from llmledger.pipelines.gateway_metrics import Metric, RejectReason, Transport

log = logging.getLogger(__name__)

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
TRACES_PATH = "/v1/traces"
HEALTH_PATH = "/health"
METRICS_PATH = "/metrics"
_HANDSHAKE_TIMEOUT_S = 10.0
_HEALTH_CACHE_S = 2.0  # load balancers probe often; one metadata request per 2 s is plenty

# HTTP status and google.rpc.Code (carried in the error body, as the OTLP/HTTP spec asks).
_STATUS_OF: dict[RejectReason, tuple[HTTPStatus, int]] = {
    RejectReason.MALFORMED: (HTTPStatus.BAD_REQUEST, 3),  # INVALID_ARGUMENT
    RejectReason.TOO_LARGE: (HTTPStatus.REQUEST_ENTITY_TOO_LARGE, 3),
    RejectReason.UNAUTHENTICATED: (HTTPStatus.UNAUTHORIZED, 16),  # UNAUTHENTICATED
    RejectReason.UNSUPPORTED_MEDIA_TYPE: (HTTPStatus.UNSUPPORTED_MEDIA_TYPE, 3),
    RejectReason.KAFKA_UNAVAILABLE: (HTTPStatus.SERVICE_UNAVAILABLE, 14),  # UNAVAILABLE
    RejectReason.KAFKA_BACKPRESSURE: (HTTPStatus.TOO_MANY_REQUESTS, 8),  # RESOURCE_EXHAUSTED
}


class OtlpServer(ThreadingHTTPServer):
    """A threading HTTP server carrying the intake and limits; TLS when `tls` is given."""

    daemon_threads = True
    request_queue_size = 128  # exporters open many connections at once

    def __init__(
        self,
        address: tuple[str, int],
        *,
        intake: ExportIntake,
        max_body_bytes: int,
        retry_after_s: int,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(address, OtlpHandler)
        self.intake = intake
        self.max_body_bytes = max_body_bytes
        self.retry_after_s = retry_after_s
        self.tls = tls
        self._health: tuple[float, bool] = (0.0, False)

    def get_request(self) -> tuple[socket.socket, object]:
        connection, address = super().get_request()
        if self.tls is not None:
            # The handshake happens on the handler's thread (`setup`), so a slow client
            # cannot stall the accept loop.
            connection = self.tls.wrap_socket(
                connection, server_side=True, do_handshake_on_connect=False
            )
        return connection, address

    def handle_error(self, request: object, client_address: object) -> None:
        # Failed TLS handshakes and dropped connections are the client's business.
        log.debug("connection from %s failed", client_address, exc_info=True)

    def kafka_reachable(self) -> bool:
        checked_at, reachable = self._health
        if time.monotonic() - checked_at > _HEALTH_CACHE_S:
            reachable = self.intake.producer.is_reachable()
            self._health = (time.monotonic(), reachable)
        return reachable


class OtlpHandler(BaseHTTPRequestHandler):
    """Serves `POST /v1/traces`, `GET /health` and `GET /metrics`."""

    protocol_version = "HTTP/1.1"
    server: OtlpServer

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(_HANDSHAKE_TIMEOUT_S)
            self.request.do_handshake()
            self.request.settimeout(None)
        super().setup()

    def do_GET(self) -> None:
        if self.path == HEALTH_PATH:
            reachable = self.server.kafka_reachable()
            status = HTTPStatus.OK if reachable else HTTPStatus.SERVICE_UNAVAILABLE
            body = {"status": "ok" if reachable else "unavailable", "kafka": reachable}
            self._reply(status, json.dumps(body).encode(), JSON)
        elif self.path == METRICS_PATH:
            text = self.server.intake.metrics.render().encode()
            self._reply(HTTPStatus.OK, text, "text/plain; version=0.0.4; charset=utf-8")
        else:
            self._reply(HTTPStatus.NOT_FOUND, b'{"message":"no such path"}', JSON)

    def do_POST(self) -> None:
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        reply_type = PROTOBUF if content_type == PROTOBUF else JSON
        if self.path != TRACES_PATH:
            self.close_connection = True  # the body was not read
            self._reply(HTTPStatus.NOT_FOUND, b'{"message":"no such path"}', JSON)
            return
        intake = self.server.intake
        intake.metrics.add(Metric.llmledger_gateway_requests_total, transport=Transport.HTTP)
        try:
            payload = self._read_payload(content_type)
            encoding = Encoding.PROTOBUF if content_type == PROTOBUF else Encoding.JSON
            intake.store(payload, encoding, Transport.HTTP)
        except ExportRejectedError as rejected:
            self._error(rejected, reply_type)
            return
        response = ExportTraceServiceResponse()
        if reply_type == PROTOBUF:
            self._reply(HTTPStatus.OK, response.SerializeToString(), PROTOBUF)
        else:
            self._reply(HTTPStatus.OK, json_format.MessageToJson(response).encode(), JSON)

    def _read_payload(self, content_type: str) -> bytes:
        intake = self.server.intake
        if not intake.is_authorized(self.headers.get("Authorization")):
            self.close_connection = True
            raise intake.reject(Transport.HTTP, RejectReason.UNAUTHENTICATED, "bad bearer token")
        length = self.headers.get("Content-Length", "")
        if not length.isdigit():
            self.close_connection = True
            raise intake.reject(Transport.HTTP, RejectReason.MALFORMED, "Content-Length needed")
        if int(length) > self.server.max_body_bytes:
            self.close_connection = True
            raise intake.reject(Transport.HTTP, RejectReason.TOO_LARGE, "export too large")
        body = self.rfile.read(int(length))
        if content_type not in (PROTOBUF, JSON):
            reason = RejectReason.UNSUPPORTED_MEDIA_TYPE
            raise intake.reject(Transport.HTTP, reason, f"unsupported type {content_type!r}")
        return self._decompress(body)

    def _decompress(self, body: bytes) -> bytes:
        intake = self.server.intake
        encoding = self.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding in ("", "identity"):
            return body
        if encoding != "gzip":
            message = f"unsupported Content-Encoding {encoding!r}"
            raise intake.reject(Transport.HTTP, RejectReason.MALFORMED, message)
        limit = self.server.max_body_bytes
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            # Bounded output: a small gzip bomb must not exhaust memory.
            payload = inflater.decompress(body, limit + 1)
        except zlib.error as exc:
            raise intake.reject(Transport.HTTP, RejectReason.MALFORMED, f"bad gzip: {exc}") from exc
        if len(payload) > limit:
            raise intake.reject(Transport.HTTP, RejectReason.TOO_LARGE, "inflated export too large")
        if not inflater.eof:
            raise intake.reject(Transport.HTTP, RejectReason.MALFORMED, "truncated gzip body")
        return payload

    def _error(self, rejected: ExportRejectedError, reply_type: str) -> None:
        status, code = _STATUS_OF[rejected.reason]
        message = str(rejected)
        if reply_type == PROTOBUF:
            body = status_pb2.Status(code=code, message=message).SerializeToString()
        else:
            body = json.dumps({"code": code, "message": message}).encode()
        headers = {}
        if rejected.reason.retryable:
            headers["Retry-After"] = str(self.server.retry_after_s)
        if rejected.reason is RejectReason.UNAUTHENTICATED:
            headers["WWW-Authenticate"] = "Bearer"
        self._reply(status, body, reply_type, headers)

    def _reply(
        self,
        status: HTTPStatus,
        body: bytes,
        content_type: str,
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.address_string(), *args)
