"""Pulumi dynamic-provider resources of ccprovider. Each is declared by its inputs model:
construct it with a mapping of the model's fields (plain values or Pulumi Inputs)."""

from ccprovider.resources.assignment import (
    AssignmentInputs,
    LicenseAssignment,
    LicenseAssignmentProvider,
)
from ccprovider.resources.license_rule import (
    LicenseRuleAssignments,
    LicenseRuleProvider,
    RuleInputs,
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
    "LicenseRuleAssignments",
    "LicenseRuleProvider",
    "PartnerAccess",
    "PartnerAccessProvider",
    "PartnerInputs",
    "RuleInputs",
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
