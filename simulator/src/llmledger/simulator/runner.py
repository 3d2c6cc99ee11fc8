"""Run the simulator on a background thread (:class:`Simulator`) or blocking (:func:`serve`)."""

from __future__ import annotations

import threading
from types import TracebackType

from llmledger.simulator.server import SimulatorHTTPServer


class Simulator:
    """The provider simulator on a background thread, as a context manager.

    Usage::

        with Simulator() as sim:
            openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
            anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key="x")
            genai.Client(api_key="x", http_options=types.HttpOptions(base_url=sim.google_base_url))

    ``port=0`` (the default) picks a free port; the URL is known once started.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._requested = (host, port)
        self._server: SimulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Simulator:
        """Bind and start serving; returns ``self``. Starting twice is an error."""
        if self._server is not None:
            raise RuntimeError("the simulator is already running")
        self._server = SimulatorHTTPServer(self._requested)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"llmledger-simulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every connection. Safe to call when not running."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.shutdown()
        thread.join()
        server.close()
        self._server = self._thread = None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def host(self) -> str:
        """The address the server is bound to."""
        return str(self._running().server_address[0])

    @property
    def port(self) -> int:
        """The TCP port the server is bound to."""
        return int(self._running().server_address[1])

    @property
    def url(self) -> str:
        """``http://HOST:PORT``, without a trailing slash."""
        return f"http://{self.host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """``base_url`` for ``openai.OpenAI``."""
        return f"{self.url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        """``base_url`` for ``anthropic.Anthropic``."""
        return self.url

    @property
    def google_base_url(self) -> str:
        """``base_url`` for ``google.genai`` ``HttpOptions``."""
        return self.url

    @property
    def requests_served(self) -> int:
        """How many HTTP requests have been answered (errors included)."""
        return self._running().requests_served

    def _running(self) -> SimulatorHTTPServer:
        if self._server is None:
            raise RuntimeError("the simulator is not running; use it as a context manager")
        return self._server


def serve(host: str, port: int) -> None:
    """Serve in the foreground until interrupted (Ctrl-C); used by ``llmledger simulator``."""
    server = SimulatorHTTPServer((host, port))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
