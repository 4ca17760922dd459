"""Wire models of the vendor's SCIM 2.0 users (RFC 7643 and 7644, as the vendor serves
them under `/identity/scim/{orgId}/v2/Users`).

A SCIM user is a person of the organisation: `userName` is their e-mail address, `id` the
stored user's id (SCIM ids are not the REST API's opaque ids), `externalId` the client's
mark. Their contact-center role and agent profile, which the simulation needs and core
SCIM lacks, travel in an extension schema of their own, which other clients ignore.
"""

from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BeforeValidator, Field

from ccprovider.contract import ExternalId
from ccprovider.domain import Email, RoleAndProfile
from ccprovider.vendor_contract import Name, VendorModel

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK_REQUEST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
BULK_MAX_OPERATIONS = 100
"""The most operations one bulk request may carry, as the vendor documents."""
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
"""RFC 7643's enterprise extension: department, cost center, organization, division, manager."""
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


class ScimManager(VendorModel):
    value: Annotated[str, Field(max_length=512)]
    """The manager as the identity provider names them: an id or an e-mail address."""


class ScimEnterprise(VendorModel):
    """The enterprise extension's attributes that the simulation keeps."""

    department: Name | None = None
    cost_center: Name | None = None
    organization: Name | None = None
    division: Name | None = None
    manager: ScimManager | None = None


class ScimGroupRef(VendorModel):
    """A group the user belongs to. RFC 7643 makes `groups` read-only, kept through the
    Groups resource; the simulation has no Groups resource, so an identity provider's sync
    (or `ccprovider directory load`) writes a user's groups with the user."""

    value: Annotated[str, Field(max_length=256)]
    display: Name | None = None


class ScimUserBody(VendorModel):
    """A user to create, or a user's replacement (PUT), with the directory's attributes.
    `emails` and `roles` are read from `userName` and the contact-center role, so any sent
    are ignored."""

    schemas: Annotated[list[str], Field(max_length=10)]
    user_name: Email
    active: bool = True
    display_name: Name | None = None
    name: ScimName | None = None
    title: Name | None = None
    external_id: ExternalId | None = None
    groups: Annotated[list[ScimGroupRef], Field(max_length=100)] = Field(default_factory=list)
    enterprise: ScimEnterprise | None = Field(default=None, alias=ENTERPRISE_SCHEMA)
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


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


class ScimBulkOperation(VendorModel):
    """One operation of a bulk request: a create (`POST /Users`), a PATCH or a DELETE of
    `/Users/{id}`, guarded by `version` as `If-Match` guards the call on its own. `data` is
    the call's body, as an object or (as the vendor's spec has it) its JSON text."""

    method: Annotated[Literal["POST", "PATCH", "DELETE"], BeforeValidator(_upper)]
    path: Annotated[str, Field(max_length=256)]
    bulk_id: Annotated[str, Field(max_length=64)] | None = None
    version: Annotated[str, Field(max_length=64)] | None = None
    data: dict[str, Any] | Annotated[str, Field(max_length=65536)] | None = None


class ScimBulkRequest(VendorModel):
    """Operations applied one by one, each on its own; after `failOnErrors` failures the
    rest are not applied. The vendor's spec spells the list `operations`, RFC 7644
    `Operations`: either is read."""

    schemas: Annotated[list[str], Field(max_length=10)]
    fail_on_errors: Annotated[int, Field(ge=1)] | None = None
    operations: list[ScimBulkOperation] = Field(
        validation_alias=AliasChoices("Operations", "operations"), min_length=1
    )


class ScimBulkOperationResult(VendorModel):
    """What one operation did: its HTTP status as text, the user's location and version,
    and the body its call on its own would have answered (the user, or the error)."""

    method: str
    bulk_id: str | None = None
    location: str | None = None
    version: str | None = None
    status: str
    response: dict[str, Any] | None = None


class ScimBulkResponse(VendorModel):
    schemas: list[str] = Field(default_factory=lambda: [BULK_RESPONSE_SCHEMA])
    operations: list[ScimBulkOperationResult] = Field(alias="Operations")
