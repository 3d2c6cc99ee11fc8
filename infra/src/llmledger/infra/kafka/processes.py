"""Process helpers for the broker JVM: liveness by pid, graceful stop, readiness, log tails."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

from confluent_kafka.admin import AdminClient

_PR_SET_PDEATHSIG = 1
# librdkafka reports every refused connection while the broker boots; nobody needs those lines.
_QUIET = logging.getLogger("llmledger.infra.kafka.readiness-probe")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


class KafkaStartError(RuntimeError):
    """The local broker did not start or did not become ready in time."""


def is_alive(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie (reaping it if it is our own child)."""
    with contextlib.suppress(ChildProcessError):
        reaped, _ = os.waitpid(pid, os.WNOHANG)
        if reaped == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (macOS): signal 0 succeeding is the best evidence there is
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def command_line(pid: int) -> str | None:
    """The command line of `pid` joined by spaces, or None where /proc is unavailable."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return raw.replace(b"\0", b" ").decode("utf-8", errors="replace")


def terminate(pid: int, timeout: float) -> None:
    """SIGTERM `pid` (Kafka then shuts down cleanly), and SIGKILL it after `timeout` seconds."""
    for sig, wait_seconds in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            if not is_alive(pid):
                return
            time.sleep(0.05)
    raise KafkaStartError(f"Kafka broker process {pid} survived SIGKILL.")


def die_with_parent() -> None:
    """`preexec_fn` asking Linux to SIGTERM the child when the thread that started it ends.

    Keeps an interrupted test session (e.g. killed by a timeout) from leaving a broker behind.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def log_tail(log_file: Path, lines: int = 40) -> str:
    """The last `lines` lines of the broker log, for error messages."""
    try:
        text = log_file.read_text(errors="replace")
    except OSError:
        return "(no broker log)"
    return "\n".join(text.splitlines()[-lines:]) or "(broker log is empty)"


def _port_accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until_ready(
    host: str, port: int, timeout: float, still_running: Callable[[], bool], log_file: Path
) -> None:
    """Block until the broker at host:port answers a metadata request listing itself.

    Raises `KafkaStartError` quoting the broker log if the process exits or `timeout` passes.
    """
    deadline = time.monotonic() + timeout
    admin: AdminClient | None = None
    while time.monotonic() < deadline:
        if not still_running():
            raise KafkaStartError(
                f"Kafka broker exited during start-up. Last lines of {log_file}:\n"
                + log_tail(log_file)
            )
        # A plain TCP probe first: an AdminClient before the port opens only collects errors.
        if admin is None and _port_accepts(host, port):
            admin = AdminClient({"bootstrap.servers": f"{host}:{port}"}, logger=_QUIET)
        if admin is not None:
            try:
                metadata = admin.list_topics(timeout=1.0)
            except Exception:  # KafkaException while the broker is still fenced
                metadata = None
            if metadata is not None and metadata.brokers:
                return
        time.sleep(0.05)
    raise KafkaStartError(
        f"Kafka broker on {host}:{port} was not ready within {timeout:.0f} s. "
        f"Last lines of {log_file}:\n" + log_tail(log_file)
    )
