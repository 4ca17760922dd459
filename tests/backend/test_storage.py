"""The backend's storage under concurrent writers in several processes."""

from __future__ import annotations

import multiprocessing
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier as BarrierType
from pathlib import Path
from typing import Any

import pytest

from ccprovider.backend.errors import ConflictError
from ccprovider.backend.service import ProvisioningService
from ccprovider.backend.storage import (
    Database,
    Ownership,
    StoreUnavailableError,
    describe,
    open_store,
)
from ccprovider.backend.storage.postgres import SCHEMA_VERSION
from ccprovider.backend.subprocess_server import ServerStartError, serve_in_subprocess
from ccprovider.contract import TenantBody
from tests.databases import fresh_schema, run_sql
from tests.helpers import subscription_body

RACERS = 16


def _add_subscription(
    database: Database, tenant_id: str, index: int, start: BarrierType, outcomes: Queue[str]
) -> None:
    """In a child process: once every racer is connected, add one subscription, alternating
    license models, and report the model it stored, "refused", or what went wrong."""
    model = "named" if index % 2 else "concurrent"
    try:
        store = open_store(database)
        try:
            start.wait(timeout=120)
            ProvisioningService(store).create_subscription(
                tenant_id, subscription_body(f"SUB-{index}", license_model=model)
            )
        finally:
            store.close()
    except ConflictError:
        model = "refused"
    except Exception as error:  # reported to the test, which fails on it
        start.abort()  # the others stop waiting for this racer
        model = f"failed: {error!r}"
    outcomes.put(model)


@pytest.mark.both_engines
def test_racing_processes_never_leave_a_tenant_with_mixed_license_models(
    database: Database,
) -> None:
    """16 processes, released together, each add a subscription of either license model:
    the first wins and every writer of the other model is refused."""
    # Racers are forked from a server that imported the backend once (no connection of this
    # process's comes along): sixteen fresh interpreters would each import it again.
    racing = multiprocessing.get_context("forkserver")
    racing.set_forkserver_preload([__name__])
    start, outcomes = racing.Barrier(RACERS), racing.Queue()
    store = open_store(database)
    try:
        service = ProvisioningService(store)
        tenant_id = service.create_tenant(TenantBody(name="acme-dev", offer="flex3")).value.id
        racers = [
            racing.Process(target=_add_subscription, args=(database, tenant_id, i, start, outcomes))
            for i in range(RACERS)
        ]
        for racer in racers:
            racer.start()
        try:
            results = [outcomes.get(timeout=180) for _ in racers]
        finally:
            for racer in racers:
                racer.join(timeout=30)
                racer.kill()
        stored = service.list_subscriptions(tenant_id, None, 0, 100).items
    finally:
        store.close()

    assert [r for r in results if r.startswith("failed")] == []
    models = {s.license_model.value for s in stored}
    assert len(models) == 1
    [winner] = models
    assert results.count(winner) == len(stored) == RACERS // 2
    assert results.count("refused") == RACERS // 2


@pytest.mark.both_engines
def test_the_store_keeps_each_version_of_the_kinds_it_is_asked_to(database: Database) -> None:
    store = open_store(database, history_of=["subscription"])
    created, changed, deleted = (datetime(2026, 5, day, tzinfo=UTC) for day in (1, 10, 20))
    with store.write() as tx:
        record = tx.insert("subscription", "t-1", {"units": 1}, created, key="SUB-1")
        tx.insert("partner", "t-1", {}, created, key="p")  # no history kept
        record = tx.update(record, {"units": 2}, changed, key="SUB-1", ref=None)
        tx.delete(record, deleted)

    with store.read() as tx:
        versions = tx.versions("subscription", "t-1")
        assert tx.versions("partner", "t-1") == []
    store.close()

    assert [(v.body, v.valid_from, v.valid_to) for v in versions] == [
        ({"units": 1}, created, changed),
        ({"units": 2}, changed, deleted),
    ]


@pytest.mark.both_engines
def test_usage_comes_out_of_the_store_summed_per_day_type_and_owner(database: Database) -> None:
    """Billing reads one row per day, usage type and subscription the users were mapped to,
    however many records lie under it: here the records of 300 agents on one day."""
    stamp = datetime(2026, 6, 1, tzinfo=UTC)

    def usage(day: str, usage_type: str, quantity: int, email: str | None) -> dict[str, Any]:
        return {"day": day, "usage_type": usage_type, "quantity": quantity, "email": email}

    agents = [f"agent{n}@acme.example" for n in range(300)]
    store = open_store(database)
    with store.write() as tx:
        tx.put_many(
            "usage",
            "t-1",
            [(f"a{n}", "2026-05", usage("2026-05-04", "wfo", 2, a)) for n, a in enumerate(agents)]
            + [
                ("b", "2026-05", usage("2026-05-05", "wfo", 5, agents[0])),
                ("c", "2026-05", usage("2026-05-04", "ivr_port", 7, None)),
                ("d", "2026-05", usage("2026-05-04", "wfo", 1, "unmapped@acme.example")),
                ("e", "2026-06", usage("2026-06-01", "wfo", 9, agents[0])),
            ],
            stamp,
        )
        tx.put_many("usage", "t-2", [("a", "2026-05", usage("2026-05-04", "wfo", 3, None))], stamp)
    owners = [Ownership(a, "2026-05-01", "2026-05-31", "SUB-1") for a in agents[1:]] + [
        Ownership(agents[0], "2026-05-01", "2026-05-04", "SUB-1"),  # remapped on the 5th
        Ownership(agents[0], "2026-05-05", "2026-05-31", "SUB-2"),
    ]

    with store.read() as tx:
        totals = tx.usage_totals("usage", "t-1", "2026-05", owners)
    store.close()

    assert [day for day, *_ in totals] == ["2026-05-04"] * 3 + ["2026-05-05"]
    assert set(totals) == {
        ("2026-05-04", "ivr_port", None, 7),
        ("2026-05-04", "wfo", None, 1),
        ("2026-05-04", "wfo", "SUB-1", 600),
        ("2026-05-05", "wfo", "SUB-2", 5),
    }


@pytest.mark.both_engines
def test_objects_stored_before_history_was_kept_get_a_first_version(database: Database) -> None:
    created = datetime(2026, 5, 1, tzinfo=UTC)
    older = open_store(database)  # an older backend kept no history
    with older.write() as tx:
        tx.insert("subscription", "t-1", {"units": 1}, created, key="SUB-1")
    older.close()

    newer = open_store(database, history_of=["subscription"])
    with newer.read() as tx:
        [version] = tx.versions("subscription", "t-1")
    newer.close()

    assert (version.body, version.valid_from, version.valid_to) == ({"units": 1}, created, None)


def test_a_new_postgres_database_gets_the_schema_and_its_version_once() -> None:
    with fresh_schema() as url:
        for _ in range(2):  # a second start finds the schema and leaves it be
            open_store(url).close()

        assert run_sql(url, "SELECT version FROM schema_version") == [(SCHEMA_VERSION,)]
        tables = run_sql(
            url,
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() ORDER BY table_name",
        )
        assert [name for (name,) in tables] == [
            "history",
            "idempotency",
            "objects",
            "schema_version",
            "settings",
        ]


def test_a_schema_newer_than_the_code_is_refused_naming_both_versions() -> None:
    with fresh_schema() as url:
        open_store(url).close()
        run_sql(url, f"UPDATE schema_version SET version = {SCHEMA_VERSION + 1}")

        with pytest.raises(StoreUnavailableError) as refused:
            open_store(url)

    message = str(refused.value)
    assert message.startswith("cannot use the database postgres://")
    assert f"schema is at version {SCHEMA_VERSION + 1}" in message
    assert f"({SCHEMA_VERSION}); upgrade ccprovider" in message


def test_an_unreachable_postgres_is_one_line_without_the_password(closed_port: int) -> None:
    url = f"postgres://ccprovider:s3cret-pw@127.0.0.1:{closed_port}/backend?connect_timeout=2"

    with pytest.raises(StoreUnavailableError) as refused:
        open_store(url)

    message = str(refused.value)
    assert message.startswith("cannot use the database postgres://ccprovider:***@127.0.0.1:")
    assert "s3cret-pw" not in message
    assert "\n" not in message


def test_the_server_with_an_unreachable_database_exits_with_one_line(closed_port: int) -> None:
    url = f"postgres://ccprovider:s3cret-pw@127.0.0.1:{closed_port}/backend?connect_timeout=2"

    with pytest.raises(ServerStartError) as refused, serve_in_subprocess(url, "--no-auth"):
        pass

    lines = refused.value.stderr.strip().splitlines()
    assert len(lines) == 1, refused.value.stderr
    assert lines[0].startswith("error: cannot use the database postgres://ccprovider:***@")
    assert "s3cret-pw" not in refused.value.stderr


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port held bound but not listening while the test runs: connecting to it
    is refused, and no other test can take it meanwhile."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        port: int = held.getsockname()[1]
        yield port


def test_a_url_names_its_password_nowhere_when_described() -> None:
    described = describe(
        "postgres://cc:pw-in-netloc@db:5432/b?password=pw-in-query&sslmode=require"
    )

    assert described == "postgres://cc:***@db:5432/b?password=***&sslmode=require"


def test_a_url_of_another_scheme_is_refused_rather_than_taken_for_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreUnavailableError, match="give a SQLite file or a postgres://"):
        open_store("postgresql+psycopg://cc@db/b")

    assert list(tmp_path.iterdir()) == []  # no SQLite file named after the URL
