"""Pulumi dynamic-provider resources of ccprovider."""

from ccprovider.resources.assignment import (
    LicenseAssignment,
    LicenseAssignmentArgs,
    LicenseAssignmentProvider,
)
from ccprovider.resources.partner import PartnerAccess, PartnerAccessArgs, PartnerAccessProvider
from ccprovider.resources.subscription import (
    Subscription,
    SubscriptionArgs,
    SubscriptionProvider,
)
from ccprovider.resources.team import (
    TeamAssignments,
    TeamAssignmentsArgs,
    TeamAssignmentsProvider,
    TeamMember,
)
from ccprovider.resources.tenant import Tenant, TenantArgs, TenantProvider

__all__ = [
    "LicenseAssignment",
    "LicenseAssignmentArgs",
    "LicenseAssignmentProvider",
    "PartnerAccess",
    "PartnerAccessArgs",
    "PartnerAccessProvider",
    "Subscription",
    "SubscriptionArgs",
    "SubscriptionProvider",
    "TeamAssignments",
    "TeamAssignmentsArgs",
    "TeamAssignmentsProvider",
    "TeamMember",
    "Tenant",
    "TenantArgs",
    "TenantProvider",
]
