"""The HTTP layer: routing, control headers, framing, and the :class:`Simulator` lifecycle.

A stdlib ``ThreadingHTTPServer`` speaking HTTP/1.1 with keep-alive (SDK clients pool
connections), Nagle disabled (small SSE frames must not wait for ACKs), JSON answered with
Content-Length and SSE with chunked transfer encoding, one write per event.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from llmledger.simulator.anthropic_messages import create_message
from llmledger.simulator.errors import ApiError, Provider, error_body, provider_for_path
from llmledger.simulator.gemini import GEMINI_PATH, generate_content
from llmledger.simulator.openai_chat import create_chat_completion
from llmledger.simulator.openai_embeddings import create_embeddings
from llmledger.simulator.openai_responses import create_response
from llmledger.simulator.protocol import (
    JsonReply,
    Reply,
    SimRequest,
    StreamReply,
    new_id,
    to_json,
)
from llmledger.simulator.usage import (
    LATENCY_HEADER,
    USAGE_HEADER,
    SimHeaderError,
    parse_latency_ms,
    parse_usage_override,
)

Endpoint = Callable[[SimRequest], Reply]

ROUTES: Final[dict[str, tuple[Provider, Endpoint]]] = {
    "/v1/chat/completions": (Provider.OPENAI, create_chat_completion),
    "/v1/responses": (Provider.OPENAI, create_response),
    "/v1/embeddings": (Provider.OPENAI, create_embeddings),
    "/v1/messages": (Provider.ANTHROPIC, create_message),
}
_MAX_BODY_BYTES: Final = 32 * 1024 * 1024
_IDLE_KEEPALIVE_SECONDS: Final = 30


class SimulatorHTTPServer(ThreadingHTTPServer):
    """Counts requests and tracks open connections so :meth:`close` ends them promptly."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)
        self.requests_served = 0
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()

    def count_request(self) -> None:
        with self._lock:
            self.requests_served += 1

    def track(self, connection: socket.socket, *, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore peers that drop a kept-alive connection; report anything else."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def close(self) -> None:
        """Stop accepting, and cut idle keep-alive connections whose threads wait for input."""
        self.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            # OSError: the peer already closed it.
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "llmledger-simulator/1"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = _IDLE_KEEPALIVE_SECONDS
    # Buffered writes: headers and body leave in one segment; SSE frames are flushed one by one.
    wbufsize = 64 * 1024
    server: SimulatorHTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, open_=True)

    def finish(self) -> None:
        self.server.track(self.connection, open_=False)
        # A client that closes a stream early leaves buffered bytes nobody will read.
        with contextlib.suppress(ConnectionError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: benchmarks send thousands of requests."""

    def do_GET(self) -> None:
        self.server.count_request()
        if urlsplit(self.path).path in ("/", "/health"):
            self._send_json(200, {"status": "ok"})
        else:
            self._send_error(provider_for_path(self.path), ApiError("Not found", status=404))

    def do_POST(self) -> None:
        self.server.count_request()
        url = urlsplit(self.path)
        provider = provider_for_path(url.path)
        try:
            body = self._read_body()
            route = ROUTES.get(url.path)
            path_params: dict[str, str] = {}
            if route is None and (match := GEMINI_PATH.match(url.path)):
                route = (Provider.GOOGLE, generate_content)
                path_params = match.groupdict()
            if route is None:
                raise ApiError(f"Unknown request URL: POST {url.path}", status=404)
            provider, endpoint = route
            request = self._parse_request(body, path_params, dict(parse_qsl(url.query)))
            reply = endpoint(request)
        except ApiError as error:
            self._send_error(provider, error)
            return
        except Exception:
            traceback.print_exc(file=sys.stderr)
            self._send_error(provider, ApiError("simulator internal error", status=500))
            return
        self._send_reply(reply)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked_body()
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY_BYTES:
            self.close_connection = True
            raise ApiError("request body too large", status=413)
        return self.rfile.read(length)

    def _read_chunked_body(self) -> bytes:
        parts: list[bytes] = []
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            parts.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline().strip():
            pass  # trailers
        return b"".join(parts)

    def _parse_request(
        self, raw: bytes, path_params: dict[str, str], query: dict[str, str]
    ) -> SimRequest:
        try:
            body = json.loads(raw) if raw else None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ApiError(f"We could not parse the JSON body of your request: {exc}") from exc
        if not isinstance(body, dict):
            raise ApiError("The request body must be a JSON object.")
        try:
            override_header = self.headers.get(USAGE_HEADER)
            override = parse_usage_override(override_header) if override_header else None
            latency_header = self.headers.get(LATENCY_HEADER)
            latency_ms = parse_latency_ms(latency_header) if latency_header else 0
        except SimHeaderError as exc:
            raise ApiError(str(exc)) from exc
        if latency_ms:
            time.sleep(latency_ms / 1000)
        return SimRequest(body, override, path_params, query)

    def _send_reply(self, reply: Reply) -> None:
        if isinstance(reply, JsonReply):
            self._send_json(reply.status, reply.body)
            return
        self._send_stream(reply)

    def _send_json(self, status: int, body: Any) -> None:
        payload = to_json(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self._send_request_id()
        self.end_headers()
        self.wfile.write(payload)

    def _send_stream(self, reply: StreamReply) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self._send_request_id()
        self.end_headers()
        try:
            for frame in reply.frames:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(frame), frame))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client stopped reading the stream

    def _send_request_id(self) -> None:
        # OpenAI's SDK exposes x-request-id and Anthropic's request-id as `_request_id`.
        request_id = new_id("req_")
        self.send_header("x-request-id", request_id)
        self.send_header("request-id", request_id)

    def _send_error(self, provider: Provider, error: ApiError) -> None:
        self._send_json(error.status, error_body(provider, error))
