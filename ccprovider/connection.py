"""How providers reach the provisioning API: settings from stack config, and a client for them.

With no endpoint configured, the backend runs embedded: one `BackgroundServer` per
database file per process, serving the same HTTP app as the standalone server to that
process alone (a random token), for as long as the engine that started the process lives.
"""

import difflib
import os
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ccprovider.backend import DEFAULT_DB_PATH
from ccprovider.client import ProvisioningClient

CONFIG_NAMESPACE = "ccprovider"
ENDPOINT_KEY = f"{CONFIG_NAMESPACE}:endpoint"
TOKEN_KEY = f"{CONFIG_NAMESPACE}:token"
BACKEND_FILE_KEY = f"{CONFIG_NAMESPACE}:backendFile"
TENANT_KEY = f"{CONFIG_NAMESPACE}:tenant"
PROTECT_KEY = f"{CONFIG_NAMESPACE}:protect"
KNOWN_KEYS = (ENDPOINT_KEY, TOKEN_KEY, BACKEND_FILE_KEY, TENANT_KEY, PROTECT_KEY)
"""Every stack config key of the ccprovider namespace."""


def unknown_config_keys(keys: Iterable[str]) -> list[str]:
    """One line per key of the ccprovider namespace that nothing reads, with a close match:
    a misspelled key would otherwise be ignored, or reported as the one it was meant to be
    missing."""
    problems = []
    for key in sorted(k for k in keys if k.startswith(f"{CONFIG_NAMESPACE}:")):
        if key not in KNOWN_KEYS:
            close = difflib.get_close_matches(key, KNOWN_KEYS, n=1)
            hint = f" Did you mean {close[0]}?" if close else ""
            problems.append(
                f"{key}: unknown stack config key.{hint} Known keys: {', '.join(KNOWN_KEYS)}."
            )
    return problems


PLAINTEXT_TOKEN = (
    f"{TOKEN_KEY} is stored in plaintext in the stack config, so it would be written to the "
    f"state as it is. Fix: `pulumi config set --secret {TOKEN_KEY} <token>`, which encrypts "
    "it (and rotate the token if the file was shared)."
)
"""Why a program refuses a token that is not a secret of the stack config."""

_embedded_servers: dict[Path, tuple[str, str]] = {}
_embedded_lock = threading.Lock()
_PARENT_POLL_SECONDS = 0.5
_WATCHED_GENERATIONS = 2
"""The provider runs under a shell wrapper under the engine; the program under the
language host under the engine."""


@dataclass(frozen=True)
class ConnectionSettings:
    """Where the API is and how to authenticate; `endpoint` empty means the embedded backend."""

    endpoint: str = ""
    token: str | None = None
    backend_file: Path = DEFAULT_DB_PATH

    @classmethod
    def from_config(cls, config: Any) -> "ConnectionSettings":
        """Read the settings from a stack config bag with a `get(key)` method."""
        return cls(
            endpoint=str(config.get(ENDPOINT_KEY) or "").strip(),
            token=str(config.get(TOKEN_KEY) or "").strip() or None,
            backend_file=Path(config.get(BACKEND_FILE_KEY) or DEFAULT_DB_PATH),
        )

    def describe(self) -> str:
        """Where the backend is, for messages; never includes the token."""
        return self.endpoint or f"embedded backend ({self.backend_file})"


def embedded_backend(db_path: Path) -> tuple[str, str]:
    """The URL of this process's embedded backend on `db_path` and the random token it
    requires (even on loopback, no other process may use it), starting it on first use.
    The backend (FastAPI, uvicorn, SQLite) is imported here, only by a process that uses
    it; it ends with this process, which ends when the engine that started it is gone."""
    from ccprovider.backend.http import AccessPolicy, Caller, Role  # noqa: PLC0415
    from ccprovider.backend.server import BackgroundServer  # noqa: PLC0415

    key = db_path.resolve()
    with _embedded_lock:
        served = _embedded_servers.get(key)
        if served is None:
            token = secrets.token_urlsafe(32)
            policy = AccessPolicy({token: Caller(Role.CUSTOMER_ADMIN)})
            server = BackgroundServer(key, policy=policy)
            served = _embedded_servers[key] = (server.start(), token)
            _exit_with_parent()
        return served


def _ancestors(depth: int = _WATCHED_GENERATIONS) -> tuple[int, ...]:
    """This process's parent, grandparent and so on, `depth` generations at most, short of
    init. Where there is no /proc to read further, the parent alone."""
    chain = [os.getppid()]
    while len(chain) < depth and chain[-1] > 1:
        try:
            stat = Path(f"/proc/{chain[-1]}/stat").read_text()
        except OSError:
            break
        chain.append(int(stat.rpartition(")")[2].split()[1]))  # the field after the name
    return tuple(pid for pid in chain if pid > 1)


def _exit_with_parent() -> None:
    """End this process when the engine that started it is gone: its parent (the language
    host, or the provider's shell wrapper) or its parent's parent (the engine). A killed
    engine leaves the wrapper alive, so the parent alone would not tell; a provider whose
    engine was killed would otherwise keep serving the tenant's data."""
    started_under = _ancestors()

    def watch() -> None:
        while _ancestors() == started_under:
            time.sleep(_PARENT_POLL_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="ccprovider-parent-watch", daemon=True).start()


def provisioning_date(settings: ConnectionSettings) -> date:
    """The provisioning system's date. A configured endpoint dates its answers; the
    embedded backend's date is read from its database by the backend's own clock service,
    without serving it: a program that only needs the date would otherwise load and start
    the whole HTTP backend (FastAPI, uvicorn), most of a second of every pulumi command."""
    if settings.endpoint:
        return connect(settings).today()
    from ccprovider.backend.service.clock import ClockService  # noqa: PLC0415
    from ccprovider.backend.service.common import HISTORY_KINDS  # noqa: PLC0415
    from ccprovider.backend.storage import open_store  # noqa: PLC0415

    store = open_store(settings.backend_file.resolve(), history_of=HISTORY_KINDS)
    try:
        return ClockService(store).clock().today
    finally:
        store.close()


def connect(settings: ConnectionSettings) -> ProvisioningClient:
    """A client of the configured backend."""
    if settings.endpoint:
        return ProvisioningClient(settings.endpoint, settings.token)
    return ProvisioningClient(*embedded_backend(settings.backend_file))
