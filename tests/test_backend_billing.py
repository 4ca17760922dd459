"""Usage records and the billing summary: the domain document's example, computed by hand."""

from datetime import date

import pytest
import requests

from ccprovider.client import ProvisioningClient
from ccprovider.domain import UsageRecord, UsageType
from tests.helpers import assert_vendor_error, assign_license, subscription_body, user_body


@pytest.fixture
def example_tenant(client: ProvisioningClient, tenant_id: str, clock_today: date) -> str:
    """Subscription 1 includes 10 agents, subscription 2 includes 15; 13 agents on each."""
    sub1 = client.create_subscription(
        tenant_id, subscription_body("SUB-1", entitlements={"standardAgents": 10})
    )
    sub2 = client.create_subscription(
        tenant_id,
        subscription_body("SUB-2", start=date(2025, 6, 1), entitlements={"standardAgents": 15}),
    )
    for index in range(26):
        email = f"agent{index}@acme.example"
        sub = sub1 if index < 13 else sub2
        client.create_user(tenant_id, user_body(email))
        assign_license(client, tenant_id, email, f"{sub.id}:standard-agent")
    return tenant_id


def agent_day(day: date, agents: range) -> list[UsageRecord]:
    return [
        UsageRecord(
            day=day, usage_type="standard_agent", quantity=1, email=f"agent{i}@acme.example"
        )
        for i in agents
    ]


def test_26_agents_against_a_pool_of_25_is_one_overage_charged_to_the_primary(
    client: ProvisioningClient, example_tenant: str
) -> None:
    records = [
        *agent_day(date(2026, 5, 4), range(25)),
        *agent_day(date(2026, 5, 5), range(26)),
        UsageRecord(day=date(2026, 5, 5), usage_type="webex_connect", quantity=300),
        UsageRecord(
            day=date(2026, 5, 5),
            usage_type="webex_connect",
            quantity=50,
            email="agent20@acme.example",
        ),
    ]
    assert client.add_usage(example_tenant, records) == len(records)

    summary = client.billing_summary(example_tenant, "2026-05")

    assert summary.primary_subscription == "SUB-1"
    assert summary.pooled_entitlements[UsageType.STANDARD_AGENT] == 25
    by_sub = {s.external_id: s.usage for s in summary.subscriptions}
    assert by_sub["SUB-1"] == {UsageType.STANDARD_AGENT: 13, UsageType.WEBEX_CONNECT: 350}
    assert by_sub["SUB-2"] == {UsageType.STANDARD_AGENT: 13}
    agents = next(line for line in summary.overage if line.usage_type is UsageType.STANDARD_AGENT)
    assert (agents.used, agents.pooled, agents.overage, agents.charged_to) == (26, 25, 1, "SUB-1")


def test_25_agents_cost_no_overage(client: ProvisioningClient, example_tenant: str) -> None:
    client.add_usage(example_tenant, agent_day(date(2026, 5, 4), range(25)))

    summary = client.billing_summary(example_tenant, "2026-05")

    agents = next(line for line in summary.overage if line.usage_type is UsageType.STANDARD_AGENT)
    assert agents.overage == 0


def test_usage_lists_by_month_in_pages(client: ProvisioningClient, tenant_id: str) -> None:
    may = agent_day(date(2026, 5, 31), range(5))
    june = agent_day(date(2026, 6, 1), range(2))
    client.add_usage(tenant_id, may + june)

    assert list(client.list_usage(tenant_id, "2026-05", page_size=2)) == may
    assert list(client.list_usage(tenant_id, "2026-06")) == june


def test_billing_refuses_a_period_that_is_not_a_month(
    client: ProvisioningClient, tenant_id: str
) -> None:
    for period in ("2026-13", "May 2026"):
        response = requests.get(
            f"{client.base_url}/v1/tenants/{tenant_id}/billing",
            params={"period": period},
            timeout=10,
        )
        assert_vendor_error(response, 400, "period")
