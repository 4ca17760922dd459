"""Wire models of the routes that follow the vendor's own API (licenses, people,
organizations, partner administrators), spelled as the vendor spells them.

Requests ignore fields they do not model (the vendor's clients send many: phone numbers,
avatars, site URLs), so that a client written for the vendor works unchanged. What the
simulation needs and the vendor's models lack is an addition the vendor's clients ignore:
a person's `contactCenter` role and agent profile, and the `errors` of a partial license
PATCH.
"""

from datetime import UTC, datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from ccprovider.contract import ErrorDetail, LicenseOperationKind
from ccprovider.domain import Email, LicenseKind, RoleAndProfile


class VendorModel(BaseModel):
    """camelCase outside, snake_case in Python; unknown fields ignored, as the vendor's
    clients send fields the simulation has no use for."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


def vendor_time(moment: datetime) -> str:
    """A time as the vendor writes it, in UTC to the millisecond: 2026-06-01T12:00:00.000Z."""
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


# Licenses

HELD_LICENSES = {
    LicenseKind.ADMIN: ("CJPADM", "Contact Center Administrator"),
    LicenseKind.SUPERVISOR: ("CJPSUP", "Contact Center Supervisor"),
    LicenseKind.STANDARD_AGENT: ("CJPSTD", "Contact Center Standard Agent"),
    LicenseKind.PREMIUM_AGENT: ("CJPPRM", "Contact Center Premium Agent"),
}
"""The type code and name of each kind of license a person holds: the backend offers its
licenses under them, and ccprovider's client tells the kinds apart by name, as the vendor's
licenses carry no type."""


class VendorLicense(VendorModel):
    """One license of an organisation (the vendor's `License`): a subscription's entitlement
    of one type. An administrator license counts no units (the vendor omits what it does
    not count)."""

    id: str
    name: str
    total_units: int | None = None
    consumed_units: int
    consumed_by_users: int
    consumed_by_workspaces: int = 0
    subscription_id: str


class AssignedUser(VendorModel):
    """A person holding a license."""

    id: str
    type: Literal["INTERNAL", "EXTERNAL"] = "INTERNAL"
    display_name: str
    email: str


class LicenseWithUsers(VendorLicense):
    """A license and, when asked for (`includeAssignedTo=user`), one page of its holders."""

    users: list[AssignedUser] | None = None


class LicenseRequest(VendorModel):
    """One license to add to or remove from a person; `add` unless said otherwise."""

    id: Annotated[str, Field(min_length=1, max_length=512)]
    operation: LicenseOperationKind = LicenseOperationKind.ADD


class LicensesPatch(VendorModel):
    """Licenses to add and remove for one person, named by `email` or `personId`."""

    email: Annotated[str, Field(max_length=254)] | None = None
    person_id: Annotated[str, Field(max_length=512)] | None = None
    org_id: Annotated[str, Field(max_length=512)] | None = None
    licenses: Annotated[list[LicenseRequest], Field(max_length=20)] = []

    @model_validator(mode="after")
    def _names_a_person(self) -> Self:
        if self.email is None and self.person_id is None:
            raise ValueError("name the person by email or personId")
        return self


class LicensesPatchResult(VendorModel):
    """The person's licenses after a PATCH (206: compare with the request to see which
    failed); `errors`, an addition, says why each failed."""

    org_id: str
    person_id: str
    email: str
    licenses: list[str]
    site_urls: list[str] = []
    errors: list[ErrorDetail] | None = None


# People


class Person(VendorModel):
    """A person of an organisation: a user of the tenant. `contactCenter`, an addition,
    is their contact-center role and agent profile, which their license must fit."""

    id: str
    emails: list[str]
    display_name: str
    first_name: str | None = None
    last_name: str | None = None
    org_id: str
    roles: list[str]
    licenses: list[str]
    created: str
    last_modified: str
    type: Literal["person"] = "person"
    contact_center: RoleAndProfile


class PersonCollection(VendorModel):
    """People found; `notFoundIds`, when ids were asked for, those that name nobody."""

    items: list[Person]
    not_found_ids: list[str] | None = None


Name = Annotated[str, Field(max_length=256)]


class _PersonDetails(VendorModel):
    """What a create and an update of a person share. `licenses`, when given, is the whole
    set the person is to hold; `contactCenter`, when given, their role."""

    org_id: Annotated[str, Field(max_length=512)] | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    licenses: Annotated[list[str], Field(max_length=20)] | None = None
    contact_center: RoleAndProfile | None = None


class PersonUpdate(_PersonDetails):
    """A person's new details: the vendor requires `displayName`; the address cannot change."""

    emails: Annotated[list[Email], Field(min_length=1, max_length=1)] | None = None
    display_name: Name


class PersonCreate(_PersonDetails):
    """A new person: one e-mail address; the contact-center role from `contactCenter`, or
    else from the contact-center license in `licenses`."""

    emails: Annotated[list[Email], Field(min_length=1, max_length=1)]
    display_name: Name | None = None


# Organizations and partner administrators


class Organization(VendorModel):
    """An organisation: a tenant, named by its name."""

    id: str
    display_name: str
    created: str


PartnerRole = Literal["id_full_admin", "id_readonly_admin"]
"""The vendor's roles of a partner administrator in a customer's organisation."""


class PartnerAdmin(VendorModel):
    """A partner organisation's administrator and the role it holds in the customer's
    organisation; `partnerOrg`, an addition, names the partner organisation."""

    id: str
    display_name: str
    emails: list[str] = []
    role_in_customer_org: PartnerRole
    partner_org: str
