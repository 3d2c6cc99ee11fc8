"""The gateway's OTLP/gRPC layer: `TraceService/Export` on a `grpc.server`.

The method is registered with no request deserializer, so the handler receives the raw
protobuf bytes: it decodes them itself (malformed -> INVALID_ARGUMENT, nothing written)
and can forward a single-trace export to Kafka without re-encoding it.

Retryable refusals carry a `google.rpc.RetryInfo` twice: inside the standard
`grpc-status-details-bin` trailer (a `google.rpc.Status`) and as the bare
`google.rpc.retryinfo-bin` trailer that the OpenTelemetry Python exporter reads.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import NoReturn

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from llmledger.pipelines.gateway_intake import Encoding, ExportIntake, ExportRejectedError
from llmledger.pipelines.gateway_metrics import Metric, RejectReason, Transport

log = logging.getLogger(__name__)

TRACE_SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService"
_CODE_OF: dict[RejectReason, grpc.StatusCode] = {
    RejectReason.MALFORMED: grpc.StatusCode.INVALID_ARGUMENT,
    RejectReason.TOO_LARGE: grpc.StatusCode.INVALID_ARGUMENT,
    RejectReason.UNAUTHENTICATED: grpc.StatusCode.UNAUTHENTICATED,
    RejectReason.UNSUPPORTED_MEDIA_TYPE: grpc.StatusCode.INVALID_ARGUMENT,
    RejectReason.KAFKA_UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
    RejectReason.KAFKA_BACKPRESSURE: grpc.StatusCode.RESOURCE_EXHAUSTED,
}


class _TraceExport:
    def __init__(self, intake: ExportIntake, retry_after_s: int) -> None:
        self._intake = intake
        self._retry_after_s = retry_after_s

    def __call__(self, payload: bytes, context: grpc.ServicerContext) -> bytes:
        intake = self._intake
        intake.metrics.add(Metric.llmledger_gateway_requests_total, transport=Transport.GRPC)
        try:
            authorization = dict(context.invocation_metadata()).get("authorization")
            if not intake.is_authorized(str(authorization) if authorization else None):
                reason = RejectReason.UNAUTHENTICATED
                raise intake.reject(Transport.GRPC, reason, "bad bearer token")
            intake.store(payload, Encoding.PROTOBUF, Transport.GRPC)
        except ExportRejectedError as rejected:
            self._abort(context, rejected)
        return ExportTraceServiceResponse().SerializeToString()

    def _abort(self, context: grpc.ServicerContext, rejected: ExportRejectedError) -> NoReturn:
        code = _CODE_OF[rejected.reason]
        if rejected.reason.retryable:
            retry_info = error_details_pb2.RetryInfo(
                retry_delay=duration_pb2.Duration(seconds=self._retry_after_s)
            )
            detail = any_pb2.Any()
            detail.Pack(retry_info)
            rpc_status = status_pb2.Status(
                code=code.value[0], message=str(rejected), details=[detail]
            )
            context.set_trailing_metadata(
                (
                    ("grpc-status-details-bin", rpc_status.SerializeToString()),
                    ("google.rpc.retryinfo-bin", retry_info.SerializeToString()),
                )
            )
        context.abort(code, str(rejected))
        raise AssertionError("grpc's abort() always raises")


def build_grpc_server(
    intake: ExportIntake,
    *,
    host: str,
    port: int,
    max_message_bytes: int,
    retry_after_s: int,
    tls_key_and_cert: tuple[bytes, bytes] | None = None,
    workers: int = 16,
) -> tuple[grpc.Server, int, health.HealthServicer]:
    """An unstarted server with the trace service and gRPC health; returns it and its port.

    Messages above `max_message_bytes` are refused by gRPC itself (RESOURCE_EXHAUSTED).
    """
    server = grpc.server(
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="otlp-grpc"),
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.so_reuseport", 0),  # a taken port must fail, not be shared
        ],
    )
    handler = grpc.unary_unary_rpc_method_handler(
        _TraceExport(intake, retry_after_s), request_deserializer=None, response_serializer=None
    )
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(TRACE_SERVICE, {"Export": handler}),)
    )
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for service in ("", TRACE_SERVICE):
        health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
    address = f"{host}:{port}"
    try:
        if tls_key_and_cert is None:
            bound = server.add_insecure_port(address)
        else:
            credentials = grpc.ssl_server_credentials([tls_key_and_cert])
            bound = server.add_secure_port(address, credentials)
    except RuntimeError as exc:  # recent grpcio raises instead of returning 0
        raise OSError(f"cannot listen for OTLP/gRPC on {address}: {exc}") from exc
    if bound == 0:
        raise OSError(f"cannot listen for OTLP/gRPC on {address}")
    return server, bound, health_servicer
