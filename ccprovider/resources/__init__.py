"""Pulumi dynamic-provider resources of ccprovider. Each is declared by its inputs model:
construct it with a mapping of the model's fields (plain values or Pulumi Inputs)."""

from ccprovider.resources.assignment import (
    AssignmentInputs,
    LicenseAssignment,
    LicenseAssignmentProvider,
)
from ccprovider.resources.partner import PartnerAccess, PartnerAccessProvider, PartnerInputs
from ccprovider.resources.state import StateIdentity
from ccprovider.resources.subscription import (
    Subscription,
    SubscriptionInputs,
    SubscriptionProvider,
)
from ccprovider.resources.team import (
    TeamAssignments,
    TeamAssignmentsProvider,
    TeamInputs,
    TeamMember,
)
from ccprovider.resources.tenant import Tenant, TenantInputs, TenantProvider

__all__ = [
    "AssignmentInputs",
    "LicenseAssignment",
    "LicenseAssignmentProvider",
    "PartnerAccess",
    "PartnerAccessProvider",
    "PartnerInputs",
    "StateIdentity",
    "Subscription",
    "SubscriptionInputs",
    "SubscriptionProvider",
    "TeamAssignments",
    "TeamAssignmentsProvider",
    "TeamInputs",
    "TeamMember",
    "Tenant",
    "TenantInputs",
    "TenantProvider",
]
