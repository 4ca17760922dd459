"""Serving the backend app: in the foreground (`serve`, in one or several worker processes)
or on a background thread (embedded)."""

import asyncio
import dataclasses
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import h11
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.supervisors import Multiprocess

from ccprovider.backend.app import create_app
from ccprovider.backend.http import AccessPolicy, RateLimiter, error_response, load_policy
from ccprovider.backend.middleware import Faults
from ccprovider.backend.service.common import HISTORY_KINDS
from ccprovider.backend.storage import Database, Store, open_store

_STARTUP_TIMEOUT_SECONDS = 10.0


_SERVE_OPTIONS_ENV = "CCPROVIDER_BACKEND_SERVE_OPTIONS"
"""How `serve` hands its options to the worker processes uvicorn starts (JSON)."""


class BackendH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with Nagle's algorithm off on every connection, and a
    request it cannot read refused in the vendor's error body.

    The worker processes of `serve --workers` accept on a socket that uvicorn opens without
    naming TCP, so asyncio leaves Nagle on there, and every answer on a keep-alive
    connection then waits about 40 ms for the client's delayed ACK."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)

    def send_400_response(self, msg: str) -> None:
        """A request uvicorn cannot parse (malformed, or its request line and headers over
        h11's 16 KiB) gets the JSON error body every other refusal has, not plain text."""
        answer = error_response(400, UNREADABLE_REQUEST, [msg])
        headers = [*answer.raw_headers, (b"connection", b"close")]
        for event in (
            h11.Response(status_code=400, headers=headers),
            h11.Data(data=bytes(answer.body)),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event))
        self.transport.close()


UNREADABLE_REQUEST = (
    "The request cannot be read: it is malformed, or its address and headers together are "
    "longer than 16 KiB."
)


# The app dates its answers by the simulated clock; uvicorn would add a second `Date`.
# A client's address is the peer's own: `X-Forwarded-For` is trusted only from the proxies
# `serve --forwarded-allow-ips` names, so that no client escapes its rate limit by naming
# another address.
_UVICORN_OPTIONS = {
    "log_level": "warning",
    "access_log": False,
    "date_header": False,
    "http": BackendH11Protocol,
    "proxy_headers": False,
}


def _store(database: Database) -> Store:
    return open_store(database, history_of=HISTORY_KINDS)


@dataclass(frozen=True)
class ServeOptions:
    """What each worker process of `serve` builds its app from: the database, the tokens
    file (None: an open backend), the rate limit per client and the injected faults."""

    database: str
    tokens_file: str | None
    rate_limit: float = 0
    faults: Faults = dataclasses.field(default_factory=Faults)

    def app(self) -> FastAPI:
        policy = load_policy(Path(self.tokens_file)) if self.tokens_file else AccessPolicy()
        return create_app(_store(self.database), policy, RateLimiter(self.rate_limit), self.faults)


def worker_app() -> FastAPI:
    """The app of one worker process of `serve`, from the options it left in the environment."""
    raw = json.loads(os.environ[_SERVE_OPTIONS_ENV])
    return ServeOptions(**{**raw, "faults": Faults(**raw["faults"])}).app()


def serve(
    options: ServeOptions,
    host: str,
    port: int,
    *,
    workers: int = 1,
    forwarded_allow_ips: str | None = None,
    announce: Callable[[str], None] = print,
) -> None:
    """Run the backend in the foreground until interrupted, in `workers` processes that
    share the port and the database (several need PostgreSQL, or SQLite's file locking).
    Once the port is bound, `announce` gets the base URL: with port 0 the system picks a
    free port, and the URL names the one it picked, which no other server can hold. Behind
    a proxy, `forwarded_allow_ips` names the proxies whose `X-Forwarded-For` tells the
    client's address."""
    _store(options.database).close()  # fail early, and migrate once
    os.environ[_SERVE_OPTIONS_ENV] = json.dumps(dataclasses.asdict(options))
    config = uvicorn.Config(
        f"{__name__}:worker_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        **{  # type: ignore[arg-type]
            **_UVICORN_OPTIONS,
            **(
                {"proxy_headers": True, "forwarded_allow_ips": forwarded_allow_ips}
                if forwarded_allow_ips
                else {}
            ),
        },
    )
    sock = config.bind_socket()
    bound_host, bound_port = sock.getsockname()[:2]
    announce(f"http://{_url_host(bound_host)}:{bound_port}")
    try:
        if workers > 1:
            Multiprocess(config, sockets=[sock]).run()
            return
        config.load_app()
        server = uvicorn.Server(config)
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        return
    if not server.started:
        sys.exit(1)


def _url_host(host: str) -> str:
    """A bound address as it is written in a URL (an IPv6 address in brackets)."""
    return f"[{host}]" if ":" in host else host


class BackgroundServer:
    """The backend on a daemon thread, bound to a free loopback port.

    The embedded mode and the tests use it, so they talk to the same HTTP contract
    (routes, status codes, error bodies) as a client of the standalone server.
    """

    def __init__(
        self,
        database: Database,
        *,
        policy: AccessPolicy | None = None,
        rate_limit: float = 0,
        faults: Faults | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._store = _store(database)
        app = create_app(self._store, policy, RateLimiter(rate_limit), faults)
        self._server = uvicorn.Server(
            uvicorn.Config(app, host=host, port=port, **_UVICORN_OPTIONS)  # type: ignore[arg-type]
        )
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
                self.stop()
                raise RuntimeError("the embedded provisioning backend failed to start")
            time.sleep(0.01)
        host, port = self._server.servers[0].sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}"
        return self.url

    def stop(self) -> None:
        """Stop serving, wait for the thread to finish and let go of the database (which
        the app's shutdown does too, when the server got that far)."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=_STARTUP_TIMEOUT_SECONDS)
        self._store.close()
