"""The embedded backend serves its own process alone and ends when that process's parent (the
engine) is gone, so a killed engine leaves no backend serving tenant data."""

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
import requests

from ccprovider.connection import (
    ConnectionSettings,
    connect,
    embedded_backend,
    provisioning_date,
)
from ccprovider.contract import ClockChange, TenantBody
from tests.helpers import assert_vendor_error

_GONE_WITHIN_SECONDS = 60
"""How long the orphaned backend may take to notice; a bound on the wait, not a target."""


def test_the_embedded_backend_answers_only_its_own_token(tmp_path: Path) -> None:
    url, token = embedded_backend(tmp_path / "backend.sqlite3")
    client = connect(ConnectionSettings(backend_file=tmp_path / "backend.sqlite3"))

    client.create_tenant(TenantBody(name="acme-dev", offer="flex3"))
    anonymous = requests.get(f"{url}/v1/simulator/tenants", timeout=10)
    guessed = requests.get(
        f"{url}/v1/simulator/tenants", headers={"Authorization": "Bearer guess"}, timeout=10
    )

    assert_vendor_error(anonymous, 401)
    assert_vendor_error(guessed, 401)
    assert [t.name for t in client.list_tenants()] == ["acme-dev"]
    assert token not in url


def test_the_embedded_backends_date_is_the_one_its_answers_carry(tmp_path: Path) -> None:
    """The program reads the embedded backend's date from its database, unserved: the date
    the served backend dates its answers by, also once its clock has moved."""
    settings = ConnectionSettings(backend_file=tmp_path / "backend.sqlite3")
    client = connect(settings)
    client.change_clock(ClockChange(advance_days=400))

    assert provisioning_date(settings) == client.today()
    assert (provisioning_date(settings) - date.today()).days in (400, 401)


# An engine that starts a child using the embedded backend, prints the child's pid and the
# backend's URL, then waits to be killed. The child runs under a shell that waits for it, as
# the engine runs a provider under its `pulumi-resource-pulumi-python` wrapper: the wrapper
# outlives a killed engine.
_ENGINE = """
import subprocess, sys
command = [sys.executable, "-c", sys.argv[1], sys.argv[2]]
if sys.argv[3] == "wrapped":
    command = ["/bin/sh", "-c", '"$@"; exit $?', "wrapper", *command]
child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, start_new_session=True)
print(child.stdout.readline().strip(), flush=True)
child.wait()
"""
_CHILD = """
import os, sys, threading
from pathlib import Path
from ccprovider.connection import embedded_backend
print(os.getpid(), embedded_backend(Path(sys.argv[1]))[0], flush=True)
threading.Event().wait()
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by init) counts as gone.
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().split()[2] != "Z"


@pytest.mark.parametrize("started", ["directly", "wrapped"])
def test_the_embedded_backend_ends_when_its_engine_is_killed(tmp_path: Path, started: str) -> None:
    """Killed the way `kill -9 -- -PGID` kills an `up`: the engine alone, as the engine
    starts its plugins in sessions of their own."""
    engine = subprocess.Popen(
        [sys.executable, "-c", _ENGINE, _CHILD, str(tmp_path / "backend.sqlite3"), started],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert engine.stdout is not None
    pid, url = engine.stdout.readline().split()
    child = int(pid)
    assert requests.get(f"{url}/v1/simulator/tenants", timeout=10).status_code == 401  # it serves

    engine.send_signal(signal.SIGKILL)
    engine.wait()
    deadline = time.monotonic() + _GONE_WITHIN_SECONDS
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.2)

    assert not _alive(child), "the embedded backend outlived its engine"
    try:
        requests.get(f"{url}/v1/simulator/tenants", timeout=5)
    except requests.ConnectionError:
        return
    raise AssertionError(f"{url} still answers after its process was orphaned")
