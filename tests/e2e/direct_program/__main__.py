"""A program that declares ccprovider resources directly, without TenantSpec, so that only
the policy pack stands between a broken tenant and the backend. The stack config
`direct:break` picks what to break: telephony, license_model, remap or nothing."""

from datetime import date

import pulumi

from ccprovider.domain import SubscriptionTerms, UserIdentity
from ccprovider.resources import (
    LicenseAssignment,
    LicenseAssignmentArgs,
    Subscription,
    SubscriptionArgs,
    Tenant,
    TenantArgs,
)

broken = pulumi.Config("direct").get("break") or "nothing"
tenant = Tenant("acme-direct", TenantArgs(name="acme-direct", offer="flex3", telephony="vpop"))


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


second = {
    "telephony": terms("SUB-2", date(2025, 6, 1), 24, telephony="webex_calling"),
    "license_model": terms("SUB-2", date(2025, 6, 1), 24, license_model="concurrent"),
    "remap": terms("SUB-2", date(2020, 1, 1), 12),
}.get(broken, terms("SUB-2", date(2025, 6, 1), 24))
subscriptions = {
    t.external_id: Subscription(t.external_id, SubscriptionArgs(tenant.tenant_id, t))
    for t in (terms("SUB-1", date(2025, 1, 1), 60), second)
}
LicenseAssignment(
    "agent1@acme.example",
    LicenseAssignmentArgs(
        tenant_id=tenant.tenant_id,
        user=UserIdentity(email="agent1@acme.example", role="agent", agent_profile="standard"),
        subscription="SUB-2",
        subscription_id=subscriptions["SUB-2"].subscription_id,
    ),
)
