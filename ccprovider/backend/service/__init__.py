"""The mock backend's state and the rules the vendor enforces, independent of HTTP.

Like the vendor, it refuses a subscription whose license model differs from the tenant's,
a second partner starting with full admin, and a user holding licenses of two
subscriptions; and, like the vendor, it accepts a telephony mismatch silently. Status
and access follow the simulated clock. Every operation runs in one store transaction.

One module per area, each with its service over a `Store`; `ProvisioningService` is all
of them over one store, which the HTTP app hands to every router.
"""

from ccprovider.backend.service.billing import BillingService
from ccprovider.backend.service.clock import ClockService
from ccprovider.backend.service.licenses import LicenseService
from ccprovider.backend.service.organizations import OrganizationService
from ccprovider.backend.service.partners import PartnerService
from ccprovider.backend.service.people import PeopleService
from ccprovider.backend.service.subscriptions import SubscriptionService
from ccprovider.backend.service.tenants import TenantService
from ccprovider.backend.service.vendor_licenses import VendorLicenseService


class ProvisioningService(
    ClockService,
    TenantService,
    SubscriptionService,
    LicenseService,
    PartnerService,
    BillingService,
    OrganizationService,
    PeopleService,
    VendorLicenseService,
):
    """Every area's operations over one store; the last three serve the vendor's own
    routes (organizations, people and SCIM users, licenses)."""
