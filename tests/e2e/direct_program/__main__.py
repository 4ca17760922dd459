"""A program that declares ccprovider resources directly, without TenantSpec, so that only
the policy pack (or the providers) stand between a broken tenant and the backend.

Stack config: `direct:break` picks what to break (telephony, license_model, remap,
team_remap, rule_remap or nothing); `direct:race` instead declares eight subscriptions that race, in
parallel, to give a new tenant different telephony options or license models (telephony
or license_model); `direct:tenant` names the tenant."""

from datetime import date

import pulumi

from ccprovider.domain import SubscriptionTerms
from ccprovider.resources import (
    LicenseAssignment,
    LicenseRuleAssignments,
    Subscription,
    TeamAssignments,
    Tenant,
)

config = pulumi.Config("direct")
name = config.get("tenant") or "acme-direct"
tenant = Tenant(name, {"name": name, "offer": "flex3", "telephony": "vpop"})


def subscription(terms: SubscriptionTerms) -> Subscription:
    inputs = {**terms.model_dump(mode="json", exclude_none=True), "tenant_id": tenant.tenant_id}
    return Subscription(terms.external_id, inputs)


def terms(external_id: str, start: date, months: int, **overrides: str) -> SubscriptionTerms:
    fields = {
        "external_id": external_id,
        "department": "customer-care",
        "license_model": "named",
        "offer": "flex3",
        "telephony": "vpop",
        "start": start,
        "term_months": months,
    }
    return SubscriptionTerms.model_validate(fields | overrides)


def declare_racers(field: str) -> None:
    values = {"telephony": ("vpop", "webex_calling"), "license_model": ("named", "concurrent")}
    for index in range(8):
        racer = terms(f"SUB-R{index}", date(2025, 1, 1), 60, **{field: values[field][index % 2]})
        subscription(racer)


def declare_broken(broken: str) -> None:
    second = {
        "telephony": terms("SUB-2", date(2025, 6, 1), 24, telephony="webex_calling"),
        "license_model": terms("SUB-2", date(2025, 6, 1), 24, license_model="concurrent"),
        "remap": terms("SUB-2", date(2020, 1, 1), 12),
        "team_remap": terms("SUB-2", date(2020, 1, 1), 12),
        "rule_remap": terms("SUB-2", date(2020, 1, 1), 12),
    }.get(broken, terms("SUB-2", date(2025, 6, 1), 24))
    subscriptions = {
        t.external_id: subscription(t) for t in (terms("SUB-1", date(2025, 1, 1), 60), second)
    }
    agent = {"role": "agent", "agent_profile": "standard", "subscription": "SUB-2"}
    if broken == "team_remap":  # the agent as a member of a team
        TeamAssignments(
            "care",
            {
                "tenant_id": tenant.tenant_id,
                "team": "care",
                "members": {"agent1@acme.example": agent},
                "subscription_ids": {"SUB-2": subscriptions["SUB-2"].subscription_id},
            },
        )
        return
    if broken == "rule_remap":  # the agent as a person a license rule selects
        LicenseRuleAssignments(
            "care",
            {
                "tenant_id": tenant.tenant_id,
                "rule": "care",
                **agent,
                "subscription_id": subscriptions["SUB-2"].subscription_id,
                "members": ["agent1@acme.example"],
            },
        )
        return
    LicenseAssignment(
        "agent1@acme.example",
        {
            "tenant_id": tenant.tenant_id,
            "email": "agent1@acme.example",
            **agent,
            "subscription_id": subscriptions["SUB-2"].subscription_id,
        },
    )


race = config.get("race")
if race:
    declare_racers(race)
else:
    declare_broken(config.get("break") or "nothing")
