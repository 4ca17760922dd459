"""The backend's tests: each test that takes `database` runs on a new SQLite file; the tests
of the storage contract (marked `both_engines`: transactions, the writers' lock, history,
idempotency, NUL handling, paging, unique keys) run on a new PostgreSQL schema too. The
tests of the vendor's API share an organisation (`org`) and the vendor's client (`webex`)."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from webexpythonsdk import WebexAPI

from ccprovider.backend import vendor_ids
from ccprovider.backend.storage import Database
from ccprovider.client import ProvisioningClient
from ccprovider.contract import Subscription
from tests.databases import engine_database
from tests.helpers import assign_license, subscription_body, user_body

ENGINES = ("sqlite", "postgres")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run a test that needs a database on SQLite, and on both engines when it is marked."""
    if "database" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("both_engines") is not None
        metafunc.parametrize("database", ENGINES if both else ENGINES[:1], indirect=True)


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with engine_database(request.param, tmp_path) as created:
        yield created


@dataclass(frozen=True)
class Org:
    """A tenant as the vendor's API names it, with its two subscriptions."""

    tenant_id: str
    id: str
    sub1: Subscription
    sub2: Subscription


@pytest.fixture
def org(client: ProvisioningClient, tenant_id: str, clock_today: date) -> Org:
    """acme-dev on the test clock: SUB-1 (10 standard agents, 5 IVR ports, about to expire)
    and SUB-2, with agent1@acme.example on SUB-1's standard-agent license."""
    sub1 = client.create_subscription(
        tenant_id,
        subscription_body(
            "SUB-1",
            start=date(2023, 7, 1),
            term_months=36,
            entitlements={"standard_agents": 10, "ivr_ports": 5},
        ),
    )
    sub2 = client.create_subscription(
        tenant_id, subscription_body("SUB-2", start=date(2026, 3, 1), term_months=24)
    )
    client.create_user(tenant_id, user_body("agent1@acme.example"))
    assign_license(client, tenant_id, "agent1@acme.example", f"{sub1.id}:standard-agent")
    return Org(tenant_id, vendor_ids.org_id(tenant_id), sub1, sub2)


@pytest.fixture
def webex(backend_url: str) -> WebexAPI:
    """The vendor's Python client, pointed at the test's backend (open: any token does)."""
    return WebexAPI(access_token="any-token", base_url=f"{backend_url}/v1/")


def person(webex: WebexAPI, org: Org, email: str) -> Any:
    """The person with `email`, as the vendor's client finds them."""
    [found] = webex.people.list(email=email, orgId=org.id)
    return found
