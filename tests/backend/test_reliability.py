"""The backend's idempotent creates, injected faults, body limits and database outages, and a
client that rides out the faults without duplicating anything."""

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from ccprovider.backend.http import AccessPolicy, Caller, Role
from ccprovider.backend.middleware import Faults
from ccprovider.backend.server import BackgroundServer
from ccprovider.backend.storage import Database
from ccprovider.backend.subprocess_server import ServerStartError, serve_in_subprocess
from ccprovider.client import ProvisioningClient
from ccprovider.contract import TenantBody
from ccprovider.scim_contract import CONTACT_CENTER_SCHEMA, PATCH_SCHEMA, USER_SCHEMA
from tests.databases import (
    POSTGRES_DIR_ENV,
    cluster_dir,
    cluster_url,
    dump,
    fresh_database,
    run_sql,
)
from tests.e2e.harness import REPO, readme_tokens, run_block
from tests.helpers import assert_vendor_error, subscription_body, user_body
from tests.readme import commands, snippet

ACME = {"name": "acme-dev", "offer": "flex3"}
ADMIN = Caller(Role.CUSTOMER_ADMIN)


@pytest.mark.both_engines
def test_a_replayed_create_returns_the_first_answer_and_creates_nothing(backend_url: str) -> None:
    key = {"Idempotency-Key": "create-acme-once"}

    first = requests.post(f"{backend_url}/v1/simulator/tenants", json=ACME, headers=key, timeout=10)
    replay = requests.post(
        f"{backend_url}/v1/simulator/tenants", json=ACME, headers=key, timeout=10
    )
    unkeyed = requests.post(f"{backend_url}/v1/simulator/tenants", json=ACME, timeout=10)

    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.headers["Location"] == first.headers["Location"]
    assert_vendor_error(unkeyed, 409, "already exists")
    assert len(requests.get(f"{backend_url}/v1/simulator/tenants", timeout=10).json()["items"]) == 1


@pytest.mark.both_engines
def test_a_replay_after_the_object_was_deleted_creates_it_again(backend_url: str) -> None:
    key = {"Idempotency-Key": "create-acme"}
    first = requests.post(
        f"{backend_url}/v1/simulator/tenants", json=ACME, headers=key, timeout=10
    ).json()
    requests.delete(f"{backend_url}/v1/simulator/tenants/{first['id']}", timeout=10)

    again = requests.post(f"{backend_url}/v1/simulator/tenants", json=ACME, headers=key, timeout=10)

    assert again.status_code == 201
    assert again.json()["id"] != first["id"]


def scim_admin(email: str, mark: str | None = None) -> dict[str, Any]:
    """A contact-center admin to create through SCIM, marked `mark`."""
    user = {"schemas": [USER_SCHEMA], "userName": email, CONTACT_CENTER_SCHEMA: {"role": "admin"}}
    return {**user, "externalId": mark} if mark else user


@pytest.mark.both_engines
def test_a_replay_is_served_to_its_caller_only_whatever_its_token(database: Database) -> None:
    tokens = {
        "one": ADMIN,
        "two": ADMIN,
        "partner": Caller(Role.PARTNER, "partner-a"),
    }
    server = BackgroundServer(database, policy=AccessPolicy(tokens))
    url = server.start()
    try:
        admin = ProvisioningClient(url, "one")
        tenant = admin.create_tenant(TenantBody(name="acme-dev", offer="flex3"))
        grant = {"org": "partner-a", "access": "full_admin"}
        bearer_one = {"Authorization": "Bearer one"}
        requests.post(
            f"{url}/v1/simulator/tenants/{tenant.id}/partners", json=grant, headers=bearer_one
        )
        users = f"{url}/identity/scim/{tenant.id}/v2/Users"
        body = scim_admin("agent1@acme.example")

        def post(token: str) -> requests.Response:
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "same"}
            return requests.post(users, json=body, headers=headers, timeout=10)

        first, rerun, other = post("one"), post("two"), post("partner")
    finally:
        server.stop()

    # Another token of the same customer admin (a restarted embedded backend's new one)
    # is the same caller: its rerun gets the user it created. A partner is another caller.
    assert (first.status_code, rerun.status_code) == (201, 200)
    assert rerun.json() == first.json()
    assert_vendor_error(other, 409, "already exists")


@pytest.mark.both_engines
def test_a_replay_for_a_token_the_backend_no_longer_knows_is_refused(database: Database) -> None:
    headers = {"Authorization": "Bearer retired", "Idempotency-Key": "create-acme"}

    def post_with_tokens(*tokens: str) -> requests.Response:
        server = BackgroundServer(database, policy=AccessPolicy(dict.fromkeys(tokens, ADMIN)))
        url = server.start()
        try:
            return requests.post(
                f"{url}/v1/simulator/tenants", json=ACME, headers=headers, timeout=10
            )
        finally:
            server.stop()

    created = post_with_tokens("retired")
    replay = post_with_tokens("current")  # restarted with the token removed from the file

    assert created.status_code == 201
    assert_vendor_error(replay, 401, "valid bearer token")


@pytest.mark.both_engines
def test_a_key_reused_with_another_body_is_refused(backend_url: str) -> None:
    key = {"Idempotency-Key": "create-a-tenant"}
    first = requests.post(f"{backend_url}/v1/simulator/tenants", json=ACME, headers=key, timeout=10)
    other = {"name": "acme-other", "offer": "flex3"}

    reused = requests.post(
        f"{backend_url}/v1/simulator/tenants", json=other, headers=key, timeout=10
    )

    assert first.status_code == 201
    assert_vendor_error(reused, 422, "create-a-tenant was already used with another request")
    listed = requests.get(f"{backend_url}/v1/simulator/tenants", timeout=10).json()["items"]
    assert [t["name"] for t in listed] == ["acme-dev"]


@pytest.mark.both_engines
def test_stored_answers_hold_nothing_a_token_could_be_recovered_from(database: Database) -> None:
    token = "customer-admin-token"
    server = BackgroundServer(database, policy=AccessPolicy({token: ADMIN}))
    url = server.start()
    try:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "k"}
        requests.post(f"{url}/v1/simulator/tenants", json=ACME, headers=headers, timeout=10)
    finally:
        server.stop()

    unsalted = hashlib.sha256(f"Bearer {token}".encode()).hexdigest()
    [(stored_key,)] = run_sql(database, "SELECT key FROM idempotency")
    everything = dump(database)
    assert str(stored_key).endswith(" k")
    assert "acme-dev" in everything  # the dump holds the stored objects
    assert token not in everything
    assert unsalted not in everything


def test_bodies_over_the_limit_or_without_a_length_are_refused(backend_url: str) -> None:
    huge = {"records": [{"day": "2026-05-01", "usageType": "wfo", "quantity": 1}] * 200_000}

    too_big = requests.post(f"{backend_url}/v1/simulator/tenants/t/usage", json=huge, timeout=30)
    chunked = requests.post(
        f"{backend_url}/v1/simulator/tenants", data=iter([b'{"name": "x"}']), timeout=10
    )

    assert_vendor_error(too_big, 413, "larger than")
    assert_vendor_error(chunked, 411, "Content-Length")


def test_injected_faults_come_in_every_kind(database: Database) -> None:
    server = BackgroundServer(database, faults=Faults(rate=1.0, seed=7))
    url = server.start()
    seen: set[str] = set()
    try:
        for _ in range(40):
            try:
                response = requests.get(f"{url}/v1/simulator/tenants", timeout=10)
                seen.add(str(response.status_code))
                if response.status_code == 429:
                    assert response.headers["Retry-After"] == "1"
            except requests.exceptions.ChunkedEncodingError:
                seen.add("drop")
        admin = requests.get(f"{url}/v1/simulator/admin/clock", timeout=10)
    finally:
        server.stop()

    assert seen == {"429", "500", "503", "drop"}
    assert admin.status_code == 200, "the mock's own controls are never faulted"


@pytest.mark.both_engines
def test_the_client_converges_under_faults_without_duplicates(database: Database) -> None:
    server = BackgroundServer(database, faults=Faults(rate=0.3, seed=11))
    client = ProvisioningClient(server.start())
    try:
        tenant = client.create_tenant(TenantBody(name="acme-dev", offer="flex3"))
        client.create_subscription(tenant.id, subscription_body("SUB-1"))
        for index in range(25):
            client.create_user(tenant.id, user_body(f"agent{index}@acme.example"))
    finally:
        server.stop()

    clean = BackgroundServer(database)
    client = ProvisioningClient(clean.start())
    try:
        assert [t.name for t in client.list_tenants()] == ["acme-dev"]
        assert len(list(client.list_subscriptions(tenant.id))) == 1
        assert len(list(client.list_users(tenant.id))) == 25
    finally:
        clean.stop()


@pytest.mark.both_engines
def test_a_server_in_its_own_process_serves_its_database_until_the_block_ends(
    database: Database,
) -> None:
    with serve_in_subprocess(database, "--no-auth") as url:
        ProvisioningClient(url).create_tenant(TenantBody(name="acme-dev", offer="flex3"))

    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=10)
    with serve_in_subprocess(database, "--no-auth") as again:
        assert [t.name for t in ProvisioningClient(again).list_tenants()] == ["acme-dev"]


def test_the_server_refuses_to_start_without_tokens_unless_told(tmp_path: Path) -> None:
    with pytest.raises(ServerStartError) as refused, serve_in_subprocess(tmp_path / "b.db"):
        pass

    assert refused.value.returncode not in {None, 0}
    assert "the server needs --tokens FILE" in refused.value.stderr


@pytest.mark.both_engines
def test_a_create_retried_after_its_answer_was_lost_in_a_crash_is_the_same_create(
    backend_url: str, database: Database
) -> None:
    """The process died after the create committed but before its answer was stored: the
    object itself remembers the request that created it."""
    key = {"Idempotency-Key": "create-acme-before-a-crash"}
    first = requests.post(
        f"{backend_url}/v1/simulator/tenants", json=ACME, headers=key, timeout=10
    ).json()
    run_sql(database, "DELETE FROM idempotency")

    again = requests.post(f"{backend_url}/v1/simulator/tenants", json=ACME, headers=key, timeout=10)
    other = requests.post(
        f"{backend_url}/v1/simulator/tenants",
        json=ACME,
        headers={"Idempotency-Key": "other"},
        timeout=10,
    )

    assert again.status_code == 201
    assert again.json()["id"] == first["id"]
    assert_vendor_error(other, 409, "already exists")


@pytest.mark.both_engines
def test_a_replayed_create_never_hands_back_a_user_that_changed_hands_since(
    backend_url: str,
) -> None:
    """Stack sb created the user, let it go, and stack sa took it over: sb sending its
    original create again (the same key and body) is refused like any taken address,
    instead of being answered the object it once created."""
    tenant = requests.post(f"{backend_url}/v1/simulator/tenants", json=ACME, timeout=10).json()
    users = f"{backend_url}/identity/scim/{tenant['id']}/v2/Users"
    created_by_sb = scim_admin("agent0@acme.example", "p/sb#u")
    key = {"Idempotency-Key": "sb-creates-agent0"}
    first = requests.post(users, json=created_by_sb, headers=key, timeout=10).json()
    taken_by_sa = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "path": "externalId", "value": "p/sa#u"}],
    }
    requests.patch(f"{users}/{first['id']}", json=taken_by_sa, timeout=10).raise_for_status()

    replay = requests.post(users, json=created_by_sb, headers=key, timeout=10)

    assert_vendor_error(replay, 409, "already exists")
    user = requests.get(f"{users}/{first['id']}", timeout=10).json()
    assert user["externalId"] == "p/sa#u"


def test_a_replayed_create_of_a_user_still_as_it_was_created_is_answered_again(
    backend_url: str,
) -> None:
    """200, not 201: the caller learns that this answer is not a new user's, who holds no
    license yet, so it must read what they hold."""
    tenant = requests.post(f"{backend_url}/v1/simulator/tenants", json=ACME, timeout=10).json()
    users = f"{backend_url}/identity/scim/{tenant['id']}/v2/Users"
    body = scim_admin("agent0@acme.example", "p/sb#u")
    key = {"Idempotency-Key": "sb-creates-agent0"}
    first = requests.post(users, json=body, headers=key, timeout=10)

    replays = [requests.post(users, json=body, headers=key, timeout=10) for _ in range(2)]

    assert first.status_code == 201
    assert [r.status_code for r in replays] == [200, 200]
    assert replays[0].json() == replays[1].json() == first.json()


def test_every_replay_of_a_create_answers_the_user_as_they_are_now(backend_url: str) -> None:
    """A second replay is not served the first replay's answer: the user changed between."""
    tenant = requests.post(f"{backend_url}/v1/simulator/tenants", json=ACME, timeout=10).json()
    users = f"{backend_url}/identity/scim/{tenant['id']}/v2/Users"
    body = scim_admin("agent0@acme.example", "p/sb#u")
    key = {"Idempotency-Key": "sb-creates-agent0"}
    created = requests.post(users, json=body, headers=key, timeout=10).json()
    requests.post(users, json=body, headers=key, timeout=10).raise_for_status()
    renamed = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "path": "displayName", "value": "Agent Zero"}],
    }
    requests.patch(f"{users}/{created['id']}", json=renamed, timeout=10).raise_for_status()

    again = requests.post(users, json=body, headers=key, timeout=10)

    assert again.status_code == 200, again.text
    assert again.json()["displayName"] == "Agent Zero"


def test_a_postgres_outage_is_answered_503_and_every_request_after_it_succeeds() -> None:
    """The database ends every connection (as a restart does), then refuses new ones for a
    while (as when it is down): meanwhile the backend answers 503 with Retry-After, and
    afterwards no request fails on a connection its pool held from before."""
    with fresh_database() as url:
        name = urlsplit(url).path.lstrip("/")
        server = BackgroundServer(url)
        tenants = f"{server.start()}/v1/simulator/tenants"

        def statuses(count: int) -> list[int]:
            return [requests.get(tenants, timeout=30).status_code for _ in range(count)]

        def end_connections() -> None:  # and wait (up to 10 s) until each has ended
            run_sql(
                cluster_url(),
                "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity"
                f" WHERE datname = '{name}'",
            )

        try:
            with ThreadPoolExecutor(8) as clients:  # the pool grows to its 8 connections
                list(clients.map(lambda _: requests.get(tenants, timeout=30), range(32)))
            end_connections()
            after_restart = statuses(16)
            run_sql(cluster_url(), f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
            end_connections()
            down = requests.get(tenants, timeout=30)
            run_sql(cluster_url(), f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
            after_outage = statuses(16)
        finally:
            server.stop()

    assert after_restart == [200] * 16
    assert_vendor_error(down, 503, "database cannot be reached", "retry after")
    assert int(down.headers["Retry-After"]) >= 1
    assert after_outage == [200] * 16


def test_a_request_too_long_to_read_is_refused_in_the_vendors_error_body(
    backend_url: str,
) -> None:
    """A GET of 2,000 person ids is longer than the server reads (16 KiB):
    the refusal is JSON like every other, not uvicorn's plain text."""
    ids = "&".join(f"id={'x' * 100}" for _ in range(2000))

    answer = requests.get(f"{backend_url}/v1/people?{ids}", timeout=10)

    assert_vendor_error(answer, 400, "longer than 16 KiB", "Invalid HTTP request received.")


def test_the_readme_serves_a_postgres_database_from_four_workers(tmp_path: Path) -> None:
    """The README's commands: the database's URL from `scripts/postgres` in
    CCPROVIDER_BACKEND_DB (a database of the test's own), and `serve --workers 4` with the
    README's token file; a tenant made through one connection is listed through each new
    one, whichever worker answers."""
    token = readme_tokens(tmp_path)
    with fresh_database() as url:
        database = urlsplit(url).path.lstrip("/")
        subs = {"url backend": f"url {database}", "/var/tmp/": f"{tmp_path}/"}
        export = snippet("backend-on-postgres", subs).splitlines()[0]
        env = {**os.environ, POSTGRES_DIR_ENV: cluster_dir()}
        exported = run_block(f'{export}\nprintf %s "$CCPROVIDER_BACKEND_DB"', REPO, env).stdout
        [_, serve] = commands("backend-on-postgres", {**subs, "--port 8080": "--port 0"})
        assert serve[:4] == [".venv/bin/python", "-m", "ccprovider.backend", "serve"], serve
        with serve_in_subprocess(exported, *serve[4:]) as served:
            bearer = {"Authorization": f"Bearer {token}"}
            made = requests.post(
                f"{served}/v1/simulator/tenants", json=ACME, headers=bearer, timeout=10
            )
            listed = [
                requests.get(f"{served}/v1/simulator/tenants", headers=bearer, timeout=10).json()
                for _ in range(8)
            ]

    assert exported == url
    assert made.status_code == 201, made.text
    assert [[t["name"] for t in answer["items"]] for answer in listed] == [["acme-dev"]] * 8
