"""Wire models of the vendor's SCIM 2.0 users (RFC 7643 and 7644, as the vendor serves
them under `/identity/scim/{orgId}/v2/Users`).

A SCIM user is a person of the organisation: `userName` is their e-mail address, `id` the
stored user's id (SCIM ids are not the REST API's opaque ids), `externalId` the client's
mark. Their contact-center role and agent profile, which the simulation needs and core
SCIM lacks, travel in an extension schema of their own, which other clients ignore.
"""

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from ccprovider.contract import ExternalId
from ccprovider.domain import Email, RoleAndProfile
from ccprovider.vendor_contract import Name, VendorModel

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
CONTACT_CENTER_SCHEMA = "urn:ccprovider:scim:schemas:extension:contactcenter:2.0:User"
"""The simulation's extension: `{"role": ..., "agentProfile": ...}`."""
FULL_ADMIN_ROLE = "id_full_admin"
"""The vendor's role of a full administrator: a contact-center admin holds it."""


class ScimName(VendorModel):
    given_name: Name | None = None
    family_name: Name | None = None


class ScimEmail(VendorModel):
    value: str
    type: str = "work"
    primary: bool = True


class ScimRole(VendorModel):
    value: str
    type: str = "cirole"
    display: str | None = None


class ScimMeta(VendorModel):
    resource_type: Literal["User"] = "User"
    location: str
    version: str
    created: str
    last_modified: str


class ScimUserBody(VendorModel):
    """A user to create, or a user's replacement (PUT). `emails` and `roles` are read from
    `userName` and the contact-center role, so any sent are ignored."""

    schemas: Annotated[list[str], Field(max_length=10)]
    user_name: Email
    active: bool = True
    display_name: Name | None = None
    name: ScimName | None = None
    external_id: ExternalId | None = None
    contact_center: RoleAndProfile | None = Field(default=None, alias=CONTACT_CENTER_SCHEMA)


class ScimUser(ScimUserBody):
    """A user as SCIM shows them."""

    id: str
    display_name: str
    emails: list[ScimEmail]
    roles: list[ScimRole]
    contact_center: RoleAndProfile = Field(alias=CONTACT_CENTER_SCHEMA)
    meta: ScimMeta


class ScimList(VendorModel):
    """One page of a search: `startIndex` is 1-based, `totalResults` counts every match."""

    schemas: list[str] = Field(default_factory=lambda: [LIST_SCHEMA])
    total_results: int
    items_per_page: int
    start_index: int
    resources: list[ScimUser] = Field(alias="Resources")


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


class ScimPatchOperation(VendorModel):
    """One operation of a PATCH: `op` in any case, as some clients capitalize it."""

    op: Annotated[Literal["add", "replace", "remove"], BeforeValidator(_lower)]
    path: Annotated[str, Field(max_length=256)] | None = None
    value: Any = None


class ScimPatch(VendorModel):
    schemas: Annotated[list[str], Field(max_length=10)]
    operations: list[ScimPatchOperation] = Field(alias="Operations", min_length=1, max_length=50)
