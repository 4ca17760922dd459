"""The vendor's view of a subscription: one license per type, carrying the subscription's
id, each type with the vendor's kind of code (standard agents are CJPSTD, premium agents
CJPPRM) and the entitlement that gives its total units.

A person holds the license of one assignable type (admin, supervisor, standard or premium
agent), stored as the simulation's license id (`<subscription>:<kind>`); the other types
count an entitlement of the subscription (IVR ports, WFO, add-ons) and no person holds them.
Vendor license ids decode to a stored subscription and a type, so no license is stored.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from ccprovider.backend.errors import BadRequestError, NotFoundError
from ccprovider.backend.service.common import SUBSCRIPTION, subscription_of
from ccprovider.backend.service.licenses import LICENSE_UNITS, consumed_licenses
from ccprovider.backend.storage import Record, Transaction
from ccprovider.backend.vendor_ids import license_id, license_parts
from ccprovider.contract import license_id as stored_license_id
from ccprovider.domain import LicenseKind, UsageType
from ccprovider.vendor_contract import HELD_LICENSES, VendorLicense


@dataclass(frozen=True)
class LicenseType:
    """A type of license every subscription offers."""

    code: str
    name: str
    kind: LicenseKind | None
    """What a person holds it as; None: it counts an entitlement and nobody holds it."""
    usage: UsageType | None
    """The entitlement that gives its total units; None: it counts none (administrators)."""


_COUNTED = {
    UsageType.IVR_PORT: ("CJPIVR", "Contact Center IVR Ports"),
    UsageType.WFO: ("CJPWFO", "Contact Center Workforce Optimization"),
    UsageType.WEBEX_CONNECT: ("CJPCNT", "Contact Center Webex Connect"),
    UsageType.AI_AGENT: ("CJPAIA", "Contact Center AI Agent"),
    UsageType.IVR_OUTBOUND_CAMPAIGN: ("CJPOBC", "Contact Center IVR Outbound Campaigns"),
}
LICENSE_TYPES = (
    *(
        LicenseType(code, name, kind, LICENSE_UNITS[kind])
        for kind, (code, name) in HELD_LICENSES.items()
    ),
    *(LicenseType(code, name, None, usage) for usage, (code, name) in _COUNTED.items()),
)
_BY_CODE = {t.code: t for t in LICENSE_TYPES}
_BY_KIND = {t.kind: t for t in LICENSE_TYPES if t.kind is not None}


@dataclass(frozen=True)
class OfferedLicense:
    """A license a vendor id names: its type, of a stored subscription of a tenant."""

    vendor_id: str
    type: LicenseType
    subscription: Record

    @property
    def stored_id(self) -> str | None:
        """The simulation's id of the license people hold; None for a counted type."""
        kind = self.type.kind
        return stored_license_id(self.subscription.id, kind) if kind else None


def offered_license(tx: Transaction, vendor_id: str) -> OfferedLicense:
    """The license a vendor id names; 404 when it names none (no such type, or no such
    subscription in its organisation any more)."""
    tenant_id, code, external_id = license_parts(vendor_id)
    subscription = tx.find(SUBSCRIPTION, tenant_id, external_id)
    if code not in _BY_CODE or subscription is None:
        raise NotFoundError(
            f"License {vendor_id} was not found.",
            "List the organization's licenses (GET /v1/licenses?orgId=...) for their ids.",
        )
    return OfferedLicense(vendor_id, _BY_CODE[code], subscription)


def assignable_license(tx: Transaction, tenant_id: str, vendor_id: str) -> str:
    """The stored id of the license a vendor id names, if a person of the tenant can hold
    it; a refusal saying why not otherwise."""
    offered = offered_license(tx, vendor_id)
    if offered.subscription.tenant_id != tenant_id:
        raise NotFoundError(f"License {vendor_id} is not one of this organization's.")
    if offered.stored_id is None:
        raise BadRequestError(
            f"License {vendor_id} ({offered.type.name}) counts an entitlement: no person holds it."
        )
    return offered.stored_id


def _held(tx: Transaction, tenant_id: str, stored_id: str) -> tuple[str, LicenseType, str]:
    """The vendor id, type and subscription (external id) of a license people hold."""
    sub_id, _, kind = stored_id.partition(":")
    subscription = tx.get(SUBSCRIPTION, sub_id)
    external_id = str(subscription.key) if subscription and subscription.key else sub_id
    license_type = _BY_KIND[LicenseKind(kind)]
    return license_id(tenant_id, license_type.code, external_id), license_type, external_id


def held_vendor_id(tx: Transaction, tenant_id: str, stored_id: str) -> str:
    """The vendor id of a license a person holds, by its stored id."""
    return _held(tx, tenant_id, stored_id)[0]


def license_label(tx: Transaction, tenant_id: str, stored_id: str) -> str:
    """A license, by its stored id, as messages to the vendor's clients name it: its vendor
    id, what it is and its subscription."""
    vendor_id, license_type, external_id = _held(tx, tenant_id, stored_id)
    return f"{vendor_id} ({license_type.name}, subscription {external_id})"


def license_view(offered: OfferedLicense, consumed: int) -> VendorLicense:
    """A license as the vendor shows it, held by `consumed` people."""
    subscription = subscription_of(offered.subscription)
    usage = offered.type.usage
    return VendorLicense(
        id=offered.vendor_id,
        name=offered.type.name,
        total_units=subscription.entitlements.units(usage) if usage else None,
        consumed_units=consumed,
        consumed_by_users=consumed,
        subscription_id=subscription.external_id,
    )


def subscription_licenses(tx: Transaction, subscription: Record) -> Iterator[VendorLicense]:
    """A subscription's licenses: every type a person can hold, and the counted types it
    is entitled to."""
    terms = subscription_of(subscription)
    consumed = consumed_licenses(tx, subscription)
    for license_type in LICENSE_TYPES:
        usage = license_type.usage
        if license_type.kind is None and not (usage and terms.entitlements.units(usage)):
            continue
        vendor_id = license_id(subscription.tenant_id, license_type.code, terms.external_id)
        offered = OfferedLicense(vendor_id, license_type, subscription)
        stored = offered.stored_id
        yield license_view(offered, consumed[stored] if stored else 0)
