"""The domain rules, including the domain document's own examples, and pooled-overage properties."""

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccprovider import rules
from ccprovider.domain import (
    LicenseAssignment,
    LicenseKind,
    LicenseModel,
    PartnerAccessLevel,
    Subscription,
    SubscriptionStatus,
    Telephony,
    UsageRecord,
    UsageType,
)
from tests.helpers import subscription_fields

TODAY = date(2026, 6, 1)


def sub(external_id: str, **overrides: Any) -> Subscription:
    """A named, webex_calling subscription active on TODAY unless overridden."""
    return Subscription.model_validate(subscription_fields(external_id, **overrides))


def user(email: str, subscription: str, role: str = "agent") -> LicenseAssignment:
    profile = "standard" if role == "agent" else None
    return LicenseAssignment(
        email=email, role=role, agent_profile=profile, subscription=subscription
    )


# status and primary


@pytest.mark.parametrize(
    ("overrides", "status"),
    [
        ({"start": date(2026, 7, 1)}, SubscriptionStatus.PENDING),
        ({"start": date(2026, 6, 1), "term_months": 1}, SubscriptionStatus.ACTIVE),
        ({"start": date(2026, 5, 1), "term_months": 1}, SubscriptionStatus.EXPIRED),
        ({"cancelled": True}, SubscriptionStatus.CANCELLED),
    ],
)
def test_status_follows_the_term(overrides: dict[str, Any], status: SubscriptionStatus) -> None:
    assert rules.subscription_status(sub("S", **overrides), TODAY) is status


def test_the_term_ends_on_the_same_day_months_later_clamped_to_month_end() -> None:
    assert sub("S", start=date(2025, 1, 31), term_months=1).end == date(2025, 2, 28)
    assert sub("S", start=date(2024, 1, 31), term_months=1).end == date(2024, 2, 29)
    assert sub("S", start=date(2025, 6, 1), term_months=24).end == date(2027, 6, 1)


def test_primary_is_the_oldest_active_subscription() -> None:
    old_expired = sub("A", start=date(2020, 1, 1), term_months=12)
    older = sub("B", start=date(2025, 1, 1))
    newer = sub("C", start=date(2025, 6, 1))

    primary = rules.primary_subscription([newer, old_expired, older], TODAY)

    assert primary is older


def test_primary_breaks_ties_by_external_id_whatever_the_order() -> None:
    first, second = sub("SUB-A"), sub("SUB-B")

    assert rules.primary_subscription([second, first], TODAY) is first
    assert rules.primary_subscription([first, second], TODAY) is first


def test_the_primary_moves_when_the_oldest_subscription_expires() -> None:
    """Domain rule 2: the primary changes when the current primary expires."""
    sub1 = sub("SUB-1", start=date(2024, 1, 1), term_months=30)  # ends 2026-07-01
    sub2 = sub("SUB-2", start=date(2026, 3, 1), term_months=24)

    assert rules.primary_subscription([sub1, sub2], date(2026, 6, 30)) is sub1
    assert rules.primary_subscription([sub1, sub2], date(2026, 7, 1)) is sub2


def test_no_active_subscription_means_no_primary() -> None:
    assert rules.primary_subscription([sub("S", cancelled=True)], TODAY) is None


# pooled entitlements and overage


def test_domain_example_pooled_agents_have_no_overage_at_25() -> None:
    """Domain rule 3: 10 + 15 agents are pooled; 25 agents cost nothing extra."""
    sub1 = sub("SUB-1", entitlements={"standardAgents": 10})
    sub2 = sub("SUB-2", start=date(2025, 6, 1), entitlements={"standardAgents": 15})

    [charge] = rules.overage([sub1, sub2], {UsageType.STANDARD_AGENT: 25}, TODAY)

    assert (charge.used, charge.pooled, charge.overage) == (25, 25, 0)


def test_domain_example_overage_of_one_at_26_goes_to_the_primary() -> None:
    sub1 = sub("SUB-1", entitlements={"standardAgents": 10})
    sub2 = sub("SUB-2", start=date(2025, 6, 1), entitlements={"standardAgents": 15})

    [charge] = rules.overage([sub2, sub1], {UsageType.STANDARD_AGENT: 26}, TODAY)

    assert charge.overage == 1
    assert charge.charged_to == "SUB-1"


def test_expired_subscriptions_leave_the_pool() -> None:
    expired = sub("OLD", start=date(2020, 1, 1), term_months=12, entitlements={"ivrPorts": 50})
    current = sub("NEW", entitlements={"ivrPorts": 20})

    [charge] = rules.overage([expired, current], {UsageType.IVR_PORT: 30}, TODAY)

    assert (charge.pooled, charge.overage, charge.charged_to) == (20, 10, "NEW")


def test_add_on_overage_goes_to_the_subscription_that_had_it_earliest() -> None:
    """Newer guidance: add-ons pool among the subscriptions that include them, and their
    overage goes to the earliest one that still has it active, not to the primary."""
    primary = sub("CORE", start=date(2024, 1, 1), entitlements={"standardAgents": 10})
    early_ai = sub("AI-1", start=date(2025, 3, 1), entitlements={"aiAgents": 2})
    later_ai = sub("AI-2", start=date(2025, 9, 1), entitlements={"aiAgents": 3})
    usage = {UsageType.AI_AGENT: 7, UsageType.STANDARD_AGENT: 12}

    charges = {c.usage_type: c for c in rules.overage([later_ai, primary, early_ai], usage, TODAY)}

    assert (charges[UsageType.AI_AGENT].pooled, charges[UsageType.AI_AGENT].overage) == (5, 2)
    assert charges[UsageType.AI_AGENT].charged_to == "AI-1"
    assert charges[UsageType.STANDARD_AGENT].charged_to == "CORE"


def test_add_on_overage_moves_when_the_earliest_holder_expires() -> None:
    primary = sub("CORE", start=date(2024, 1, 1))
    early_ai = sub("AI-1", start=date(2024, 3, 1), term_months=12, entitlements={"aiAgents": 2})
    later_ai = sub("AI-2", start=date(2025, 9, 1), entitlements={"aiAgents": 3})

    payer = rules.charged_subscription([primary, early_ai, later_ai], UsageType.AI_AGENT, TODAY)

    assert payer is later_ai


def test_add_on_overage_without_any_holder_falls_back_to_the_primary() -> None:
    primary = sub("CORE")

    assert rules.charged_subscription([primary], UsageType.WFO, TODAY) is primary


entitlement_counts = st.integers(min_value=0, max_value=10_000)


@given(
    units=st.lists(entitlement_counts, min_size=1, max_size=6),
    active_flags=st.lists(st.booleans(), min_size=6, max_size=6),
    used=st.integers(min_value=0, max_value=100_000),
)
def test_overage_is_usage_beyond_the_pool_of_active_subscriptions(
    units: list[int], active_flags: list[bool], used: int
) -> None:
    subscriptions = [
        sub(
            f"S{i}",
            start=date(2025, 1, 1 + i),
            cancelled=not active_flags[i],
            entitlements={"premiumAgents": n},
        )
        for i, n in enumerate(units)
    ]
    pool = sum(n for n, active in zip(units, active_flags, strict=False) if active)

    charges = rules.overage(subscriptions, {UsageType.PREMIUM_AGENT: used}, TODAY)

    if used == 0 and pool == 0:
        assert charges == []
        return
    [charge] = charges
    assert charge.pooled == pool
    assert charge.overage == max(0, used - pool)
    assert charge.overage + min(used, pool) == used
    primary = rules.primary_subscription(subscriptions, TODAY)
    assert charge.charged_to == (primary.external_id if primary else None)


@given(
    first=st.lists(entitlement_counts, min_size=2, max_size=2),
    second=st.lists(entitlement_counts, min_size=2, max_size=2),
    used=st.integers(min_value=0, max_value=50_000),
)
def test_pooling_does_not_depend_on_how_units_are_split(
    first: list[int], second: list[int], used: int
) -> None:
    """Two subscriptions with the same total as one subscription give the same overage."""
    split = [
        sub("S1", entitlements={"ivrPorts": first[0] + first[1]}),
        sub("S2", start=date(2025, 2, 1), entitlements={"ivrPorts": second[0] + second[1]}),
    ]
    whole = [sub("S1", entitlements={"ivrPorts": sum(first) + sum(second)})]
    usage = {UsageType.IVR_PORT: used}

    assert [c.overage for c in rules.overage(split, usage, TODAY)] == [
        c.overage for c in rules.overage(whole, usage, TODAY)
    ]


# usage allocation


def test_usage_is_allocated_to_each_users_subscription_and_connect_to_the_primary() -> None:
    core = sub("CORE", start=date(2024, 1, 1))
    wfo = sub("WFO", start=date(2025, 6, 1))
    mapping = {"a@acme.example": "CORE", "b@acme.example": "WFO"}
    day = date(2026, 5, 3)
    records = [
        UsageRecord(day=day, usage_type="standard_agent", quantity=1, email="a@acme.example"),
        UsageRecord(day=day, usage_type="standard_agent", quantity=1, email="b@acme.example"),
        UsageRecord(day=day, usage_type="webex_connect", quantity=40, email="b@acme.example"),
        UsageRecord(day=day, usage_type="ivr_port", quantity=12),
    ]

    allocation = rules.allocate_usage([core, wfo], rules.mapped_usage(records, mapping), TODAY)

    assert allocation == {
        "CORE": {UsageType.STANDARD_AGENT: 1, UsageType.WEBEX_CONNECT: 40, UsageType.IVR_PORT: 12},
        "WFO": {UsageType.STANDARD_AGENT: 1},
    }


# telephony and license model


def test_every_later_subscription_must_use_the_first_ones_telephony() -> None:
    subscriptions = [
        sub("SUB-1", telephony="vpop"),
        sub("SUB-2", telephony="vpop"),
        sub("SUB-3", telephony="pstn_bundled"),
    ]

    [violation] = rules.telephony_violations(subscriptions)

    assert violation.objects == ("SUB-3",)
    text = str(violation)
    assert "SUB-3 uses telephony pstn_bundled" in text
    assert "the tenant's option is vpop (as on SUB-1)" in text
    assert "vendor support" in text


def test_telephony_is_checked_against_an_existing_tenants_option() -> None:
    [violation] = rules.telephony_violations([sub("NEW")], tenant_telephony=Telephony.VPOP)

    assert "the tenant's option is vpop:" in violation.message


def test_mixed_license_models_are_named() -> None:
    subscriptions = [sub("SUB-1"), sub("SUB-2", license_model="concurrent")]

    [violation] = rules.license_model_violations(subscriptions)

    assert violation.objects == ("SUB-2",)
    assert "SUB-2 is concurrent" in violation.message
    assert "the tenant's subscriptions are named (as on SUB-1)" in violation.message
    assert rules.license_model_violations(subscriptions, LicenseModel.CONCURRENT)[0].objects == (
        "SUB-1",
    )


def test_one_model_and_one_telephony_have_no_violations() -> None:
    subscriptions = [sub("SUB-1"), sub("SUB-2")]

    assert rules.telephony_violations(subscriptions) == []
    assert rules.license_model_violations(subscriptions) == []


# remap before expiry


def test_domain_example_users_on_an_expired_subscription_must_move_to_subscription_2() -> None:
    """Domain rule 5: admin 1 and agent 1 must leave subscription 1 before it expires."""
    sub1 = sub("SUB-1", start=date(2023, 6, 1), term_months=36)  # ends 2026-06-01
    sub2 = sub("SUB-2", start=date(2026, 3, 1), term_months=24)
    users = [user("admin1@acme.example", "SUB-1", "admin"), user("agent1@acme.example", "SUB-1")]

    before = rules.remap_report([sub1, sub2], users, date(2026, 5, 20), warning_days=30)
    after = rules.remap_report([sub1, sub2], users, date(2026, 6, 1), warning_days=30)

    assert before.stranded == []
    assert [n.email for n in before.expiring] == ["admin1@acme.example", "agent1@acme.example"]
    assert before.expiring[0].candidates == ("SUB-2",)
    assert [n.email for n in after.stranded] == ["admin1@acme.example", "agent1@acme.example"]
    [violation] = after.violations()
    assert "admin1@acme.example on SUB-1 (expired on 2026-06-01); can move to: SUB-2" in str(
        violation
    )


def test_remapped_users_need_nothing() -> None:
    sub1 = sub("SUB-1", start=date(2023, 6, 1), term_months=36)
    sub2 = sub("SUB-2", start=date(2026, 3, 1), term_months=24)
    users = [user("admin1@acme.example", "SUB-2", "admin"), user("agent1@acme.example", "SUB-2")]

    report = rules.remap_report([sub1, sub2], users, date(2026, 6, 1), warning_days=30)

    assert report.stranded == report.expiring == []


def test_users_on_removed_cancelled_or_pending_subscriptions_are_stranded() -> None:
    subscriptions = [
        sub("LIVE"),
        sub("GONE-SOON", cancelled=True),
        sub("LATER", start=date(2026, 9, 1)),
    ]
    users = [
        user("a@acme.example", "GONE-SOON"),
        user("b@acme.example", "LATER"),
        user("c@acme.example", "DELETED"),
    ]

    report = rules.remap_report(subscriptions, users, TODAY, warning_days=30)

    assert [(n.email, n.reason, n.candidates) for n in report.stranded] == [
        ("a@acme.example", "was cancelled", ("LIVE",)),
        ("b@acme.example", "starts on 2026-09-01", ("LIVE",)),
        ("c@acme.example", "is not a subscription of the tenant", ("LIVE",)),
    ]


def test_a_stranded_user_with_nowhere_to_go_is_told_so() -> None:
    report = rules.remap_report(
        [sub("ONLY", cancelled=True)], [user("a@acme.example", "ONLY")], TODAY, warning_days=30
    )

    assert "none: add an active subscription first" in str(report.violations()[0])


# partner access


def partner_violation(
    current: PartnerAccessLevel | None,
    requested: PartnerAccessLevel,
    *,
    partners_before: int = 1,
    subscription_count: int = 2,
    approved_by: str | None = None,
) -> rules.Violation | None:
    return rules.partner_access_violation(
        "partner-b",
        current,
        requested,
        partners_before=partners_before,
        subscription_count=subscription_count,
        approved_by=approved_by,
        customer_admins=["admin1@acme.example"],
    )


def test_the_first_partner_or_a_single_subscription_tenant_is_unrestricted() -> None:
    full = PartnerAccessLevel.FULL_ADMIN
    assert partner_violation(None, full, partners_before=0) is None
    assert partner_violation(None, full, subscription_count=1) is None


def test_an_additional_partner_starts_read_only() -> None:
    assert partner_violation(None, PartnerAccessLevel.READ_ONLY) is None
    violation = partner_violation(None, PartnerAccessLevel.FULL_ADMIN)
    assert violation is not None
    assert violation.rule == "partner-read-only-first"


def test_full_admin_for_an_additional_partner_needs_a_customer_admins_approval() -> None:
    read_only, full = PartnerAccessLevel.READ_ONLY, PartnerAccessLevel.FULL_ADMIN

    missing = partner_violation(read_only, full)
    stranger = partner_violation(read_only, full, approved_by="someone@else.example")

    assert missing is not None
    assert "none is recorded" in missing.message
    assert stranger is not None
    assert "'someone@else.example' is not a customer admin" in stranger.message
    assert "admin1@acme.example" in stranger.fix
    assert partner_violation(read_only, full, approved_by="admin1@acme.example") is None
    assert partner_violation(full, read_only) is None


def test_period_usage_is_the_peak_of_daily_totals() -> None:
    """Entitlements are capacities: 26 agents on the busiest day is what counts."""
    records = [
        UsageRecord(day=date(2026, 5, 1), usage_type="standard_agent", quantity=20),
        UsageRecord(day=date(2026, 5, 2), usage_type="standard_agent", quantity=10),
        UsageRecord(day=date(2026, 5, 2), usage_type="standard_agent", quantity=16),
        UsageRecord(day=date(2026, 5, 2), usage_type="ivr_port", quantity=3),
    ]

    assert rules.tenant_usage(records) == {UsageType.STANDARD_AGENT: 26, UsageType.IVR_PORT: 3}


# license fit, one subscription per user, and the switch on a role change (domain rule 5)


def test_a_license_that_fits_an_active_subscription_can_be_added() -> None:
    agent = user("agent@acme.example", "SUB-1")

    problem = rules.license_addition_problem(
        agent, "s1:standard-agent", LicenseKind.STANDARD_AGENT, sub("SUB-1"), TODAY
    )

    assert problem is None


def test_a_license_of_the_wrong_kind_names_the_kind_the_user_needs() -> None:
    supervisor = user("lead@acme.example", "SUB-1", role="supervisor")

    problem = rules.license_addition_problem(
        supervisor, "s1:standard-agent", LicenseKind.STANDARD_AGENT, sub("SUB-1"), TODAY
    )

    assert problem == (
        "License s1:standard-agent is a standard-agent license; "
        "lead@acme.example needs a supervisor one."
    )


def test_a_license_of_a_subscription_without_access_cannot_be_added() -> None:
    agent = user("agent@acme.example", "SUB-1")
    cancelled = sub("SUB-1", cancelled=True)

    problem = rules.license_addition_problem(
        agent, "s1:standard-agent", LicenseKind.STANDARD_AGENT, cancelled, TODAY
    )

    assert problem == "Subscription SUB-1 cannot give access: it was cancelled."


def test_a_user_holds_the_license_of_one_subscription_at_most() -> None:
    agent = user("agent@acme.example", "SUB-1")

    problem = rules.license_addition_problem(
        agent,
        "s2:standard-agent",
        LicenseKind.STANDARD_AGENT,
        sub("SUB-2"),
        TODAY,
        held=["s1:standard-agent"],
    )

    assert problem is not None
    assert "already holds s1:standard-agent: one contact-center subscription per user" in problem


def test_a_role_change_switches_the_license_only_on_a_subscription_that_gives_access() -> None:
    promoted = user("agent@acme.example", "SUB-1", role="supervisor")
    expired = sub("SUB-1", start=date(2025, 1, 1), term_months=12)

    assert rules.license_switch_problem(promoted, "s1:standard-agent", sub("SUB-1"), TODAY) is None
    assert rules.license_switch_problem(promoted, "s1:standard-agent", expired, TODAY) == (
        "agent@acme.example holds s1:standard-agent, whose subscription expired on 2026-01-01: "
        "it cannot switch to a supervisor license."
    )
    assert "is not a subscription of the tenant" in (
        rules.license_switch_problem(promoted, "gone:standard-agent", None, TODAY) or ""
    )
