"""A real single-node Apache Kafka broker (KRaft) run from the cached Maven jars.

Usage
-----
    with LocalKafka(tmp_path / "kafka") as kafka:
        produce_to(kafka.bootstrap_servers)
        kafka.restart()  # same data folder, same ports

Everything lives in one folder: `broker.json` (cluster id and ports, fixed for the folder's
lifetime), `server.properties`, `log4j2.properties`, `data/` (log segments and KRaft metadata),
`broker.log` (the JVM's output) and `broker.pid` while it runs, so another process (such as
`llmledger kafka down`) can find and stop it.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from types import TracebackType

from llmledger.infra.kafka import broker_config, jvm, processes
from llmledger.infra.kafka.broker_config import HOST, BrokerIdentity
from llmledger.infra.kafka.kafka_libs import ensure_kafka_libs
from llmledger.infra.kafka.processes import KafkaStartError


class LocalKafka:
    """A broker on 127.0.0.1 whose configuration, data and log live in `folder`.

    Ports are chosen (free ones when not given) the first time a folder is used and kept in it,
    because the KRaft metadata remembers the controller's address. `detached=True` starts the
    JVM in its own session so it outlives this Python process (for `llmledger kafka up`);
    otherwise Linux stops it when the thread that started it ends.
    """

    def __init__(
        self,
        folder: Path,
        *,
        libs_dir: Path | None = None,
        port: int | None = None,
        controller_port: int | None = None,
        heap: str = "512m",
        detached: bool = False,
    ) -> None:
        self.folder = folder.resolve()
        self.heap = heap
        self.detached = detached
        self.last_start_seconds: float | None = None
        self._libs_dir = libs_dir
        self._process: subprocess.Popen[bytes] | None = None
        self.identity = BrokerIdentity.load(self.folder) or _new_identity(port, controller_port)
        for wanted, kept in (
            (port, self.identity.port),
            (controller_port, self.identity.controller_port),
        ):
            if wanted is not None and wanted != kept:
                raise ValueError(
                    f"{self.folder} belongs to a broker on port {kept}, not {wanted}; "
                    "use another folder to change ports."
                )

    @property
    def bootstrap_servers(self) -> str:
        return self.identity.bootstrap_servers

    @property
    def port(self) -> int:
        return self.identity.port

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def log_file(self) -> Path:
        return self.folder / "broker.log"

    @property
    def pid_file(self) -> Path:
        return self.folder / "broker.pid"

    @property
    def properties_file(self) -> Path:
        return self.folder / "server.properties"

    @property
    def _log4j_config(self) -> Path:
        return self.folder / "log4j2.properties"

    def pid(self) -> int | None:
        """The broker's process id if it is running (started by this or any other process)."""
        if self._process is not None and self._process.poll() is None:
            return self._process.pid
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        if not processes.is_alive(pid):
            return None
        cmdline = processes.command_line(pid)
        # A recycled pid belonging to another program must not count as our broker.
        if cmdline is not None and str(self.properties_file) not in cmdline:
            return None
        return pid

    def is_running(self) -> bool:
        return self.pid() is not None

    def start(self, timeout: float = 90.0) -> str:
        """Start the broker (formatting storage on first use), wait until it serves requests,
        and return its bootstrap servers. Does nothing but wait if it is already running."""
        began = time.monotonic()
        running = self.pid()
        if running is not None:
            processes.wait_until_ready(
                HOST, self.port, timeout, lambda: processes.is_alive(running), self.log_file
            )
            return self.bootstrap_servers
        libs = ensure_kafka_libs(self._libs_dir)
        self._write_configuration()
        for port in (self.identity.port, self.identity.controller_port):
            if not broker_config.is_port_free(port):
                raise KafkaStartError(
                    f"Port {HOST}:{port} of the broker in {self.folder} is taken by another "
                    "program."
                )
        self._format_storage_once(libs)
        self._launch(libs)
        try:
            processes.wait_until_ready(HOST, self.port, timeout, self.is_running, self.log_file)
        except KafkaStartError:
            self.stop()
            raise
        self.last_start_seconds = time.monotonic() - began
        return self.bootstrap_servers

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop the broker (SIGTERM, then SIGKILL after `timeout` s).

        Returns False if it was not running."""
        pid = self.pid()
        if pid is not None:
            processes.terminate(pid, timeout)
            if self._process is not None and self._process.pid == pid:
                self._process.wait()
        self._process = None
        self.pid_file.unlink(missing_ok=True)
        return pid is not None

    def restart(self, timeout: float = 90.0) -> str:
        """Stop and start again on the same data folder and ports."""
        self.stop()
        return self.start(timeout)

    def __enter__(self) -> LocalKafka:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _write_configuration(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.identity.save(self.folder)
        self.properties_file.write_text(
            broker_config.server_properties(self.identity, self.data_dir)
        )
        self._log4j_config.write_text(broker_config.log4j_properties())

    def _format_storage_once(self, libs: Path) -> None:
        if not (self.data_dir / "meta.properties").is_file():
            jvm.format_storage(
                libs, self.heap, self._log4j_config, self.properties_file, self.identity.cluster_id
            )

    def _launch(self, libs: Path) -> None:
        command = jvm.java_command(
            libs, self.heap, self._log4j_config, "kafka.Kafka", str(self.properties_file)
        )
        with self.log_file.open("ab") as log:
            log.write(f"\n===== llmledger: starting {' '.join(command)}\n".encode())
            log.flush()
            self._process = subprocess.Popen(
                command,
                cwd=self.folder,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=self.detached,
                preexec_fn=None if self.detached else processes.die_with_parent,
            )
        self.pid_file.write_text(f"{self._process.pid}\n")


def _new_identity(port: int | None, controller_port: int | None) -> BrokerIdentity:
    chosen_port = port or broker_config.free_port()
    chosen_controller = controller_port or broker_config.free_port()
    while chosen_controller == chosen_port:
        chosen_controller = broker_config.free_port()
    return BrokerIdentity(broker_config.new_cluster_id(), chosen_port, chosen_controller)
