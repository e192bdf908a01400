"""Run an ASGI app under uvicorn on a real socket, in a background thread.

The port is chosen once (``0`` means any free port) and kept across ``stop()`` and
``start()``, so a test can take a peer down and bring it back at the same address.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp

_START_TIMEOUT = 10.0


class PeerServer:
    """One uvicorn server bound to ``host:port``; restartable on the same port."""

    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._app = app
        self._host = host
        self._port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        """The bound port (the real one once started with port 0)."""
        return self._port

    @property
    def url(self) -> str:
        """Base URL, without a trailing slash."""
        return f"http://{self._host}:{self._port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _bind(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self._host, self._port))
        except OSError:
            sock.close()
            raise
        self._port = sock.getsockname()[1]
        return sock

    def start(self) -> PeerServer:
        """Start serving in a daemon thread; return once the socket accepts connections."""
        if self.running:
            return self
        sock = self._bind()
        config = uvicorn.Config(
            self._app,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            interface="asgi3",
            ws="none",
            http="h11",
            loop="asyncio",
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"peer:{self._port}", daemon=True
        )
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                sock.close()
                raise RuntimeError(f"peer server on {self.url} did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Close the listening socket and every connection, then wait for the thread."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(timeout=_START_TIMEOUT)
        self._server, self._thread = None, None

    def wait(self) -> None:
        """Block until the server thread ends (used by the process runner)."""
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> PeerServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
