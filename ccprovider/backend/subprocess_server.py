"""The backend's HTTP server in a process of its own, for tests, benchmarks and fuzzing: the
same `python -m ccprovider.backend serve` a user runs, on a free loopback port."""

import os
import re
import selectors
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import IO

import requests

from ccprovider.backend import DATABASE_ENV
from ccprovider.backend.storage import Database

_STARTUP_TIMEOUT_SECONDS = 30.0
_STOP_TIMEOUT_SECONDS = 10.0


class ServerStartError(RuntimeError):
    """The server exited, or did not answer in time, before serving; carries its stderr."""

    def __init__(self, reason: str, returncode: int | None, stderr: str) -> None:
        super().__init__(f"the backend server {reason}; it wrote to stderr:\n{stderr}")
        self.returncode = returncode
        self.stderr = stderr


@contextmanager
def serve_in_subprocess(
    database: Database, *options: str, extra_env: Mapping[str, str] | None = None
) -> Iterator[str]:
    """Serve `database` (a SQLite file or a postgres:// URL) with `python -m
    ccprovider.backend serve OPTIONS` (for example "--no-auth", or "--tokens", FILE) while
    the block runs, with `extra_env` added to the environment; yield its base URL once it
    answers HTTP. The server binds a port the system picks and names it: no two servers,
    of this process or another, can be given one port. What the server wrote to stderr
    goes in the ServerStartError if it never answers, else to our stderr when it stops."""
    command = [sys.executable, "-m", "ccprovider.backend", "serve", "--port", "0"]
    # In the environment, not on the command line: a URL's password stays out of `ps`.
    env = {**os.environ, DATABASE_ENV: str(database), **(extra_env or {})}
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(  # noqa: S603 - our own command line
            [*command, *options],
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
        try:
            url = _await_url(process, stderr)
            _await_answer(url, process, stderr)
        except BaseException:
            _stop(process)
            raise
        try:
            yield url
        finally:
            _stop(process)
            sys.stderr.write(_read(stderr))


_ANNOUNCEMENT = re.compile(rb"serving (http://\S+)")


def _await_url(process: subprocess.Popen[bytes], stderr: IO[bytes]) -> str:
    """The base URL the server announces on its first line of output once it has bound its
    port; raise ServerStartError if it exits or says nothing for _STARTUP_TIMEOUT_SECONDS."""
    assert process.stdout is not None
    deadline = time.monotonic() + _STARTUP_TIMEOUT_SECONDS
    line = b""
    closed = False
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while not line.endswith(b"\n") and selector.select(deadline - time.monotonic()):
            chunk = os.read(process.stdout.fileno(), 4096)
            closed = not chunk
            if closed:
                break
            line += chunk
    found = _ANNOUNCEMENT.search(line)
    if found:
        return found.group(1).decode()
    if closed:  # it closed its output: it is exiting
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=_STOP_TIMEOUT_SECONDS)
    returncode = process.poll()
    _stop(process)
    reason = (
        f"did not name its address within {_STARTUP_TIMEOUT_SECONDS:.0f} s"
        if returncode is None
        else f"exited with status {returncode} before it served"
    )
    raise ServerStartError(reason, returncode, _read(stderr))


def _await_answer(url: str, process: subprocess.Popen[bytes], stderr: IO[bytes]) -> None:
    """Return once the server answers any HTTP request; raise ServerStartError if it exits
    or stays silent for _STARTUP_TIMEOUT_SECONDS."""
    deadline = time.monotonic() + _STARTUP_TIMEOUT_SECONDS
    while process.poll() is None and time.monotonic() < deadline:
        try:
            requests.get(f"{url}/openapi.json", timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.05)
    returncode = process.poll()
    _stop(process)  # so that everything it wrote is in the file
    if returncode is None:
        reason = f"did not answer within {_STARTUP_TIMEOUT_SECONDS:.0f} s"
    else:
        reason = f"exited with status {returncode} before it answered"
    raise ServerStartError(reason, returncode, _read(stderr))


def _read(stderr: IO[bytes]) -> str:
    stderr.seek(0)
    return stderr.read().decode(errors="replace")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate the server (kill it if it lingers) and reap it; nothing if it has exited."""
    process.terminate()
    try:
        process.wait(timeout=_STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
