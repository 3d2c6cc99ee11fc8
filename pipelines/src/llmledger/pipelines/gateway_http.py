"""The gateway's HTTP layer: OTLP/HTTP request handling on top of `http.server`."""

from __future__ import annotations

import json
import logging
import zlib
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf import json_format
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from llmledger.pipelines.delivery import AckedProducer, DeliveryError
from llmledger.pipelines.otlp import InvalidExportError, count_spans, decode_json, decode_protobuf

log = logging.getLogger(__name__)

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
TRACES_PATH = "/v1/traces"
HEALTH_PATH = "/health"
# google.rpc.Code values carried in the error body, as the OTLP/HTTP spec asks.
_RPC_INVALID_ARGUMENT = 3
_RPC_UNAVAILABLE = 14


class PayloadTooLargeError(ValueError):
    """The (decompressed) body exceeds the gateway's limit."""


class OtlpServer(ThreadingHTTPServer):
    """A threading HTTP server that carries the gateway's producer and limits."""

    daemon_threads = True
    request_queue_size = 128  # exporters open many connections at once

    def __init__(
        self,
        address: tuple[str, int],
        *,
        producer: AckedProducer,
        topic: str,
        max_body_bytes: int,
        retry_after_s: int,
    ) -> None:
        super().__init__(address, OtlpHandler)
        self.producer = producer
        self.topic = topic
        self.max_body_bytes = max_body_bytes
        self.retry_after_s = retry_after_s


class OtlpHandler(BaseHTTPRequestHandler):
    """Serves `POST /v1/traces` and `GET /health` over HTTP/1.1 keep-alive."""

    protocol_version = "HTTP/1.1"
    server: OtlpServer

    def do_GET(self) -> None:
        if self.path == HEALTH_PATH:
            self._reply(HTTPStatus.OK, b'{"status":"ok"}', JSON)
        else:
            self._error(HTTPStatus.NOT_FOUND, f"no such path: {self.path}", JSON)

    def do_POST(self) -> None:
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        reply_type = PROTOBUF if content_type == PROTOBUF else JSON
        if self.path != TRACES_PATH:
            self.close_connection = True  # the body was not read
            self._error(HTTPStatus.NOT_FOUND, f"no such path: {self.path}", reply_type)
            return
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True
            self._error(HTTPStatus.LENGTH_REQUIRED, "Content-Length is required", reply_type)
            return
        if int(length) > self.server.max_body_bytes:
            self.close_connection = True
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "export too large", reply_type)
            return
        body = self.rfile.read(int(length))
        if content_type not in (PROTOBUF, JSON):
            self._error(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"unsupported type {content_type!r}", JSON
            )
            return
        try:
            payload = self._decompress(body)
            request = decode_protobuf(payload) if content_type == PROTOBUF else decode_json(payload)
        except PayloadTooLargeError as exc:
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, str(exc), reply_type)
            return
        except InvalidExportError as exc:
            self._error(HTTPStatus.BAD_REQUEST, str(exc), reply_type)
            return
        self._store(request, payload if content_type == PROTOBUF else None, reply_type)

    def _store(
        self, request: ExportTraceServiceRequest, original: bytes | None, reply_type: str
    ) -> None:
        # Protobuf bodies go to Kafka byte-for-byte (they decoded cleanly); JSON is re-encoded.
        message = original if original is not None else request.SerializeToString()
        try:
            self.server.producer.send(self.server.topic, message)
        except DeliveryError as exc:
            log.warning("export not stored, asking the exporter to retry: %s", exc)
            self._error(HTTPStatus.SERVICE_UNAVAILABLE, str(exc), reply_type, retry=True)
            return
        log.debug("stored an export of %d spans", count_spans(request))
        response = ExportTraceServiceResponse()
        if reply_type == PROTOBUF:
            self._reply(HTTPStatus.OK, response.SerializeToString(), PROTOBUF)
        else:
            self._reply(HTTPStatus.OK, json_format.MessageToJson(response).encode(), JSON)

    def _decompress(self, body: bytes) -> bytes:
        encoding = self.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding in ("", "identity"):
            return body
        if encoding != "gzip":
            raise InvalidExportError(f"unsupported Content-Encoding {encoding!r}")
        limit = self.server.max_body_bytes
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            # Bounded output: a small gzip bomb must not exhaust memory.
            payload = inflater.decompress(body, limit + 1)
        except zlib.error as exc:
            raise InvalidExportError(f"bad gzip body: {exc}") from exc
        if len(payload) > limit:
            raise PayloadTooLargeError("decompressed export too large")
        if not inflater.eof:
            raise InvalidExportError("truncated gzip body")
        return payload

    def _error(
        self, status: HTTPStatus, message: str, reply_type: str, *, retry: bool = False
    ) -> None:
        code = _RPC_UNAVAILABLE if retry else _RPC_INVALID_ARGUMENT
        rpc_status = status_pb2.Status(code=code, message=message)
        if reply_type == PROTOBUF:
            body = rpc_status.SerializeToString()
        else:
            body = json.dumps({"code": code, "message": message}).encode()
        extra = {"Retry-After": str(self.server.retry_after_s)} if retry else {}
        self._reply(status, body, reply_type, extra)

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
