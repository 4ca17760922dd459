"""A provider process that talks to a remote endpoint loads no backend: the embedded backend
(FastAPI, uvicorn, Starlette, SQLite storage) is imported only when a stack uses it."""

import subprocess
import sys

HEAVY = ("fastapi", "uvicorn", "starlette")


def loaded_modules(statement: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running `statement`."""
    script = f"{statement}\nimport sys\nprint('\\n'.join(sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return set(result.stdout.split())


def heavy(modules: set[str]) -> list[str]:
    return sorted(
        m for m in modules if m.split(".")[0] in HEAVY or m.startswith("ccprovider.backend.")
    )


def test_importing_the_resources_loads_no_backend() -> None:
    assert heavy(loaded_modules("import ccprovider.resources, ccprovider.contact_center")) == []


def test_a_client_of_a_remote_endpoint_loads_no_backend() -> None:
    statement = (
        "from ccprovider.connection import ConnectionSettings, connect\n"
        "connect(ConnectionSettings(endpoint='http://backend.test'))"
    )
    assert heavy(loaded_modules(statement)) == []


def test_the_embedded_backend_is_loaded_when_used() -> None:
    statement = (
        "import tempfile, pathlib\n"
        "from ccprovider.connection import ConnectionSettings, connect\n"
        "db = pathlib.Path(tempfile.mkdtemp()) / 'b.sqlite3'\n"
        "connect(ConnectionSettings(backend_file=db))"
    )
    loaded = heavy(loaded_modules(statement))
    assert "fastapi" in loaded
    assert "ccprovider.backend.server" in loaded
