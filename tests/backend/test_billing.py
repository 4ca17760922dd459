"""Usage records and the billing summary: the domain document's example, computed by hand."""

from datetime import UTC, date, datetime, time

import pytest
import requests

from ccprovider.client import ProvisioningClient
from ccprovider.contract import (
    BillingSummary,
    ClockChange,
    LicenseOperation,
    UsageBatch,
)
from ccprovider.domain import UsageRecord, UsageType
from tests.helpers import (
    assert_vendor_error,
    assign_license,
    change,
    subscription_body,
    user_body,
    wire,
)


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
    assert client.add_usage(example_tenant, records).accepted == len(records)

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


@pytest.mark.both_engines
def test_usage_lists_by_month_in_pages(client: ProvisioningClient, tenant_id: str) -> None:
    client.create_subscription(tenant_id, subscription_body("SUB-1"))
    may = agent_day(date(2026, 5, 31), range(5))
    june = agent_day(date(2026, 6, 1), range(2))
    client.add_usage(tenant_id, may + june)

    assert list(client.list_usage(tenant_id, "2026-05", page_size=2)) == may
    assert list(client.list_usage(tenant_id, "2026-06")) == june


@pytest.mark.parametrize(
    ("day", "why"),
    [
        (date(2001, 1, 1), "years before SUB-1 starts"),
        (date(2028, 1, 1), "the first day after SUB-1's 36 months"),
    ],
)
def test_usage_outside_every_subscriptions_term_is_refused_naming_the_record(
    client: ProvisioningClient, tenant_id: str, clock_today: date, day: date, why: str
) -> None:
    """SUB-1 runs from 2025-01-01 until 2028-01-01: usage of a day outside it would be
    charged to no one, so the batch is refused whole."""
    client.create_subscription(tenant_id, subscription_body("SUB-1"))
    batch = [
        *agent_day(date(2027, 12, 31), range(2)),  # SUB-1's last day
        UsageRecord(day=day, usage_type="standard_agent", quantity=9, email="a@acme.example"),
    ]

    response = requests.post(
        f"{client.base_url}/v1/simulator/tenants/{tenant_id}/usage",
        json=wire(UsageBatch(records=batch)),
        timeout=10,
    )

    assert_vendor_error(
        response,
        400,
        f"records.2 ({day}, standard_agent, a@acme.example) is dated outside every "
        f"subscription's term: no subscription of the tenant was active on {day}",
        "SUB-1 2025-01-01 until 2028-01-01",
    )
    for period in (f"{day:%Y-%m}", "2027-12"):
        assert list(client.list_usage(tenant_id, period)) == [], why
    assert client.add_usage(tenant_id, batch[:2]).accepted == 2


def test_billing_refuses_a_period_that_is_not_a_month(
    client: ProvisioningClient, tenant_id: str
) -> None:
    for period in ("2026-13", "May 2026"):
        response = requests.get(
            f"{client.base_url}/v1/simulator/tenants/{tenant_id}/billing",
            params={"period": period},
            timeout=10,
        )
        assert_vendor_error(response, 400, "period")


# What was true on each day: history, remaps, partial months, add-ons


def move_clock(client: ProvisioningClient, day: date) -> None:
    client.change_clock(ClockChange(now=datetime.combine(day, time(12), UTC)))


def remap(client: ProvisioningClient, tenant_id: str, email: str, to: str, away: str) -> None:
    _, failures = change(
        client,
        tenant_id,
        email,
        LicenseOperation(id=f"{to}:standard-agent", operation="add"),
        LicenseOperation(id=f"{away}:standard-agent", operation="remove"),
    )
    assert failures == [], failures


def tenant_usage(day: date, usage_type: str, quantity: int) -> UsageRecord:
    return UsageRecord(day=day, usage_type=usage_type, quantity=quantity)


def line(summary: BillingSummary, usage_type: UsageType) -> tuple[int, int, int, str | None]:
    found = next(o for o in summary.overage if o.usage_type is usage_type)
    return found.used, found.pooled, found.overage, found.charged_to


@pytest.mark.both_engines
def test_deleting_a_subscription_that_expired_never_changes_the_months_it_was_active(
    client: ProvisioningClient, tenant_id: str
) -> None:
    move_clock(client, date(2026, 5, 1))
    ending = client.create_subscription(
        tenant_id,
        subscription_body(
            "SUB-A", start=date(2025, 6, 1), term_months=12, entitlements={"standardAgents": 15}
        ),
    )
    client.create_subscription(
        tenant_id, subscription_body("SUB-B", entitlements={"standardAgents": 17})
    )
    client.add_usage(tenant_id, [tenant_usage(date(2026, 5, 10), "standard_agent", 32)])
    before = client.billing_summary(tenant_id, "2026-05")

    move_clock(client, date(2026, 7, 1))  # SUB-A ended on 2026-06-01
    client.delete_subscription(tenant_id, ending.id)
    after = client.billing_summary(tenant_id, "2026-05")

    assert after == before
    assert after.pooled_entitlements[UsageType.STANDARD_AGENT] == 32
    assert line(after, UsageType.STANDARD_AGENT) == (32, 32, 0, "SUB-B")
    assert [s.external_id for s in after.subscriptions] == ["SUB-A", "SUB-B"]


def test_a_user_remapped_on_the_28th_is_charged_to_each_subscription_for_its_days(
    client: ProvisioningClient, tenant_id: str
) -> None:
    move_clock(client, date(2026, 5, 1))
    sub1 = client.create_subscription(tenant_id, subscription_body("SUB-1"))
    sub2 = client.create_subscription(tenant_id, subscription_body("SUB-2", start=date(2025, 6, 1)))
    for email, sub in (("agent1@acme.example", sub1), ("agent2@acme.example", sub2)):
        client.create_user(tenant_id, user_body(email))
        assign_license(client, tenant_id, email, f"{sub.id}:standard-agent")
    move_clock(client, date(2026, 5, 28))
    remap(client, tenant_id, "agent1@acme.example", sub2.id, sub1.id)
    move_clock(client, date(2026, 6, 2))
    client.add_usage(
        tenant_id,
        [record for day in range(1, 32) for record in agent_day(date(2026, 5, day), range(1, 3))],
    )

    summary = client.billing_summary(tenant_id, "2026-05")

    by_sub = {s.external_id: s.usage for s in summary.subscriptions}
    # agent1 on SUB-1 for the 1st to the 27th; both agents on SUB-2 from the 28th.
    assert by_sub == {
        "SUB-1": {UsageType.STANDARD_AGENT: 1},
        "SUB-2": {UsageType.STANDARD_AGENT: 2},
    }


def test_a_subscription_ending_mid_month_pools_its_entitlements_on_its_days_only(
    client: ProvisioningClient, tenant_id: str, clock_today: date
) -> None:
    client.create_subscription(
        tenant_id,
        subscription_body(
            "SUB-A", start=date(2025, 5, 15), term_months=12, entitlements={"standardAgents": 15}
        ),
    )
    client.create_subscription(
        tenant_id, subscription_body("SUB-B", entitlements={"standardAgents": 17})
    )
    client.add_usage(
        tenant_id,
        [
            tenant_usage(date(2026, 5, 10), "standard_agent", 30),  # pool 15 + 17: no overage
            tenant_usage(date(2026, 5, 20), "standard_agent", 20),  # pool 17: 3 over
        ],
    )

    summary = client.billing_summary(tenant_id, "2026-05")

    assert line(summary, UsageType.STANDARD_AGENT) == (20, 17, 3, "SUB-B")


def test_add_on_overage_goes_to_the_subscription_that_has_had_it_longest(
    client: ProvisioningClient, tenant_id: str
) -> None:
    move_clock(client, date(2026, 5, 1))
    client.create_subscription(
        tenant_id,
        subscription_body("SUB-1", start=date(2024, 1, 1), term_months=60),
    )
    client.create_subscription(
        tenant_id,
        subscription_body(
            "SUB-2",
            start=date(2025, 1, 1),
            entitlements={"standardAgents": 0, "aiAgents": 5},
        ),
    )
    older = client.create_subscription(
        tenant_id,
        subscription_body("SUB-3", start=date(2024, 6, 1), entitlements={"standardAgents": 5}),
    )
    move_clock(client, date(2026, 5, 10))  # SUB-3, older than SUB-2, gains AI agents now
    client.replace_subscription(
        tenant_id,
        older.id,
        subscription_body(
            "SUB-3",
            start=date(2024, 6, 1),
            entitlements={"standardAgents": 5, "aiAgents": 10},
        ),
    )
    move_clock(client, date(2026, 6, 1))
    client.add_usage(
        tenant_id,
        [
            tenant_usage(date(2026, 5, 20), "ai_agent", 20),
            tenant_usage(date(2026, 5, 20), "standard_agent", 20),
        ],
    )

    summary = client.billing_summary(tenant_id, "2026-05")

    # AI agents: pool 5 + 10 = 15, 5 over, to SUB-2 (AI since 2025-01-01; SUB-3 since
    # 2026-05-10); agents: pool 10 + 5 = 15, 5 over, to the primary SUB-1.
    assert line(summary, UsageType.AI_AGENT) == (20, 15, 5, "SUB-2")
    assert line(summary, UsageType.STANDARD_AGENT) == (20, 15, 5, "SUB-1")


@pytest.mark.both_engines
def test_the_clock_cannot_go_back_past_a_recorded_remap_and_the_last_remap_bills(
    client: ProvisioningClient, tenant_id: str
) -> None:
    """Mapped to SUB-A on 06-05 and remapped to SUB-B on 06-20, a user cannot be remapped
    on 06-10 after the fact: the clock stays, and the remap back to SUB-A counts from the
    20th, so usage on the 25th is SUB-A's."""
    move_clock(client, date(2026, 7, 1))
    move_clock(client, date(2026, 6, 1))  # back, before anything is recorded: allowed
    sub_a = client.create_subscription(tenant_id, subscription_body("SUB-A"))
    sub_b = client.create_subscription(tenant_id, subscription_body("SUB-B"))
    move_clock(client, date(2026, 6, 5))
    client.create_user(tenant_id, user_body("agent1@acme.example"))
    assign_license(client, tenant_id, "agent1@acme.example", f"{sub_a.id}:standard-agent")
    move_clock(client, date(2026, 6, 20))
    remap(client, tenant_id, "agent1@acme.example", sub_b.id, sub_a.id)

    response = requests.post(
        f"{client.base_url}/v1/simulator/admin/clock",
        json={"now": "2026-06-10T12:00:00Z"},
        timeout=10,
    )
    remap(client, tenant_id, "agent1@acme.example", sub_a.id, sub_b.id)
    client.add_usage(tenant_id, agent_day(date(2026, 6, 25), range(1, 2)))

    assert_vendor_error(
        response,
        409,
        "The clock cannot go back to 2026-06-10: changes are recorded up to 2026-06-20",
        "Fix: set the clock to 2026-06-20 or later",
    )
    assert client.clock().today == date(2026, 6, 20)
    by_sub = {
        s.external_id: s.usage for s in client.billing_summary(tenant_id, "2026-06").subscriptions
    }
    assert by_sub == {"SUB-A": {UsageType.STANDARD_AGENT: 1}, "SUB-B": {}}


def test_changes_made_after_the_clock_went_back_within_their_day_count_in_their_order(
    client: ProvisioningClient, tenant_id: str
) -> None:
    """Remapped to SUB-B at noon of the 20th, then, the clock set back to 08:00 of that
    day, remapped to SUB-A: the later remap is the one in effect from the 20th on."""
    move_clock(client, date(2026, 6, 5))
    sub_a = client.create_subscription(tenant_id, subscription_body("SUB-A"))
    sub_b = client.create_subscription(tenant_id, subscription_body("SUB-B"))
    client.create_user(tenant_id, user_body("agent1@acme.example"))
    assign_license(client, tenant_id, "agent1@acme.example", f"{sub_a.id}:standard-agent")
    move_clock(client, date(2026, 6, 20))
    remap(client, tenant_id, "agent1@acme.example", sub_b.id, sub_a.id)
    client.change_clock(ClockChange(now=datetime(2026, 6, 20, 8, tzinfo=UTC)))
    remap(client, tenant_id, "agent1@acme.example", sub_a.id, sub_b.id)
    client.add_usage(tenant_id, agent_day(date(2026, 6, 25), range(1, 2)))

    summary = client.billing_summary(tenant_id, "2026-06")

    by_sub = {s.external_id: s.usage for s in summary.subscriptions}
    assert by_sub == {"SUB-A": {UsageType.STANDARD_AGENT: 1}, "SUB-B": {}}


@pytest.mark.both_engines
def test_a_batch_naming_one_day_type_and_user_twice_is_refused_whole(
    client: ProvisioningClient, tenant_id: str
) -> None:
    record = {"day": "2026-05-04", "usageType": "wfo", "quantity": 1, "email": "a@acme.example"}
    twice = [record, {**record, "email": "A@acme.example"}]

    response = requests.post(
        f"{client.base_url}/v1/simulator/tenants/{tenant_id}/usage",
        json={"records": twice},
        timeout=10,
    )

    assert_vendor_error(response, 400, "first 2026-05-04/wfo/a@acme.example")
    assert list(client.list_usage(tenant_id, "2026-05")) == []
