"""Serving the backend app: in the foreground (`serve`) or on a background thread (embedded)."""

import threading
import time
from pathlib import Path

import uvicorn

from ccprovider.backend.app import create_app
from ccprovider.backend.http import AccessPolicy, RateLimiter
from ccprovider.backend.middleware import Faults
from ccprovider.backend.service.common import HISTORY_KINDS
from ccprovider.backend.storage import SqliteStore

_STARTUP_TIMEOUT_SECONDS = 10.0


def _config(
    db_path: Path,
    host: str,
    port: int,
    *,
    policy: AccessPolicy | None,
    rate_limit: float,
    faults: Faults | None,
) -> uvicorn.Config:
    store = SqliteStore(db_path, history_of=HISTORY_KINDS)
    app = create_app(store, policy, RateLimiter(rate_limit), faults)
    # The app dates its answers by the simulated clock; uvicorn would add a second `Date`.
    return uvicorn.Config(
        app, host=host, port=port, log_level="warning", access_log=False, date_header=False
    )


def serve(
    db_path: Path,
    host: str,
    port: int,
    *,
    policy: AccessPolicy | None,
    rate_limit: float = 0,
    faults: Faults | None = None,
) -> None:
    """Run the backend in the foreground until interrupted."""
    config = _config(db_path, host, port, policy=policy, rate_limit=rate_limit, faults=faults)
    uvicorn.Server(config).run()


class BackgroundServer:
    """The backend on a daemon thread, bound to a free loopback port.

    The embedded mode and the tests use it, so they talk to the same HTTP contract
    (routes, status codes, error bodies) as a client of the standalone server.
    """

    def __init__(
        self,
        db_path: Path,
        *,
        policy: AccessPolicy | None = None,
        rate_limit: float = 0,
        faults: Faults | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        config = _config(db_path, host, port, policy=policy, rate_limit=rate_limit, faults=faults)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, name="ccprovider-backend", daemon=True
        )
        self.url = ""

    def start(self) -> str:
        """Start serving and return the base URL once the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + _STARTUP_TIMEOUT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the embedded provisioning backend failed to start")
            time.sleep(0.01)
        host, port = self._server.servers[0].sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}"
        return self.url

    def stop(self) -> None:
        """Stop serving and wait for the thread to finish."""
        self._server.should_exit = True
        self._thread.join(timeout=_STARTUP_TIMEOUT_SECONDS)
