"""Opaque ids in the vendor's style, over the ids the store keeps.

The vendor's REST ids are URL-safe base64, without padding, of a URI naming the kind of
object and its key: `ciscospark://us/PEOPLE/<uuid>`. Here the key is the stored id (or, for
a license, its organisation, type and subscription), so an object keeps its stored id and
a vendor id decodes back to it without a lookup table.
"""

import base64
import binascii
from enum import StrEnum

from ccprovider.backend.errors import NotFoundError

_SCHEME = "ciscospark://us/"


class Kind(StrEnum):
    """The kinds of object a vendor id can name."""

    ORGANIZATION = "ORGANIZATION"
    PEOPLE = "PEOPLE"
    LICENSE = "LICENSE"
    ROLE = "ROLE"


def encode(kind: Kind, key: str) -> str:
    """The vendor id of the object of `kind` whose key is `key`."""
    uri = f"{_SCHEME}{kind.value}/{key}".encode()
    return base64.urlsafe_b64encode(uri).decode("ascii").rstrip("=")


def decode(kind: Kind, vendor_id: str) -> str:
    """The key a vendor id of `kind` names; 404 naming the id when it is not one (another
    kind's, or no vendor id at all). Standard base64 and padding are accepted too."""
    text = vendor_id.strip().replace("+", "-").replace("/", "_")
    try:
        uri = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        uri = ""
    prefix = f"{_SCHEME}{kind.value}/"
    key = uri.removeprefix(prefix)
    if not uri.startswith(prefix) or not key:
        raise NotFoundError(
            f"{vendor_id!r} is not the id of any {kind.value.lower()} here.",
            f"Use an id this API answered with for a {kind.value.lower()}.",
        )
    return key


def canonical(kind: Kind, vendor_id: str) -> str:
    """One spelling of a vendor id (URL-safe, unpadded), to compare ids a client may spell
    in standard base64 or with padding; an id that is none stays as it is."""
    try:
        return encode(kind, decode(kind, vendor_id))
    except NotFoundError:
        return vendor_id


def org_id(tenant_id: str) -> str:
    """An organisation's vendor id: the tenant's."""
    return encode(Kind.ORGANIZATION, tenant_id)


def tenant_of(org: str) -> str:
    """The tenant an `orgId` names: an organisation's vendor id, or the tenant's own id, as
    the vendor's SCIM paths carry it."""
    try:
        return decode(Kind.ORGANIZATION, org)
    except NotFoundError:
        return org


def person_id(user_id: str) -> str:
    """A person's vendor id: the user's."""
    return encode(Kind.PEOPLE, user_id)


PARTNER_ADMIN = "partner-admin:"
"""The key of a partner organisation's administrator: the simulation models a partner as an
organisation, which the vendor's partner-admin routes name by one of its people."""


def partner_admin_id(org: str) -> str:
    """The vendor id of partner organisation `org`'s administrator."""
    return encode(Kind.PEOPLE, PARTNER_ADMIN + org)


def partner_org(vendor_id: str) -> str:
    """The partner organisation whose administrator `vendor_id` names; 404 otherwise."""
    key = decode(Kind.PEOPLE, vendor_id)
    if not key.startswith(PARTNER_ADMIN):
        raise NotFoundError(
            f"{vendor_id!r} is not a partner administrator.",
            "Name a partner organisation's administrator (GET .../partnerAdmins lists them).",
        )
    return key.removeprefix(PARTNER_ADMIN)


def license_id(tenant_id: str, type_code: str, subscription: str) -> str:
    """The vendor id of the `type_code` license (e.g. CJPSTD) of a tenant's subscription
    (its external id, as the vendor's `subscriptionId`)."""
    return encode(Kind.LICENSE, f"{tenant_id}:{type_code}_{subscription}")


def license_parts(vendor_id: str) -> tuple[str, str, str]:
    """The tenant id, type code and subscription a license's vendor id names; 404 otherwise."""
    key = decode(Kind.LICENSE, vendor_id)
    tenant_id, _, rest = key.partition(":")
    type_code, _, subscription = rest.partition("_")
    if not (tenant_id and type_code and subscription):
        raise NotFoundError(f"{vendor_id!r} is not the id of any license here.")
    return tenant_id, type_code, subscription
