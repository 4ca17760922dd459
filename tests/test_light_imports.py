"""What every pulumi command's processes import stays light: a provider process that talks
to a remote endpoint loads no backend (FastAPI, uvicorn, Starlette, SQLite storage), and the
e-mail machinery (email-validator, the confusables table, ICU) loads when an address is
first validated."""

import subprocess
import sys

HEAVY = ("fastapi", "uvicorn", "starlette")
EMAIL_MACHINERY = ("email_validator", "confusable_homoglyphs", "icu", "ccprovider.emails")


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


def test_reading_the_embedded_backends_date_serves_nothing() -> None:
    """What every program run does first: its date, without FastAPI or uvicorn."""
    statement = (
        "import tempfile, pathlib\n"
        "from ccprovider.connection import ConnectionSettings, provisioning_date\n"
        "db = pathlib.Path(tempfile.mkdtemp()) / 'b.sqlite3'\n"
        "provisioning_date(ConnectionSettings(backend_file=db))"
    )
    loaded = heavy(loaded_modules(statement))
    assert [m for m in loaded if m.split(".")[0] in HEAVY] == []
    assert "ccprovider.backend.server" not in loaded


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


def email_machinery(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in EMAIL_MACHINERY or m in EMAIL_MACHINERY)


def test_importing_the_resources_loads_no_email_machinery() -> None:
    loaded = loaded_modules("import ccprovider.resources, ccprovider.contact_center")
    assert email_machinery(loaded) == []


def test_the_email_machinery_loads_when_an_address_is_first_validated() -> None:
    statement = (
        "from ccprovider.domain import email_key, email_skeleton\n"
        "assert email_key(' Agent1@ACME.example ') == 'agent1@acme.example'\n"
        "assert email_skeleton('ops1@acme.example') == email_skeleton('opsl@acme.example')"
    )
    assert {"email_validator", "icu", "ccprovider.emails"} <= set(loaded_modules(statement))
