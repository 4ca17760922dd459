"""The organisation's directory: its people and what the identity provider says of them
(department, title, groups, ...), as SCIM carries them and as license rules match them.

People come into the org by the identity provider's sync, not from a stack: a stack's
rules license them and never create or delete them. The sync marks the people it manages
with an `externalId` of its own (`directory:<e-mail>`), which no stack's mark looks like,
so that a sync deactivates only people it brought.
"""

from typing import Annotated, Any

from pydantic import Field

from ccprovider.domain import CamelModel, Email, RoleAndProfile
from ccprovider.scim_contract import (
    CONTACT_CENTER_SCHEMA,
    ENTERPRISE_SCHEMA,
    USER_SCHEMA,
    ScimUser,
    ScimUserBody,
)
from ccprovider.vendor_contract import Name

DIRECTORY_MARK = "directory:"
"""How the `externalId` of a person the directory's sync manages begins."""
MATCHED_ATTRIBUTES = (
    "title",
    "department",
    "cost_center",
    "organization",
    "division",
    "manager",
)
"""The attributes a rule may match by value (beside e-mail, groups and `active`)."""


class DirectoryPerson(CamelModel):
    """A person as the directory describes them."""

    email: Email
    active: bool = True
    display_name: Name | None = None
    given_name: Name | None = None
    family_name: Name | None = None
    title: Name | None = None
    department: Name | None = None
    cost_center: Name | None = None
    organization: Name | None = None
    division: Name | None = None
    manager: Name | None = None
    groups: Annotated[tuple[Name, ...], Field(max_length=100)] = ()

    @classmethod
    def of(cls, scim: ScimUser) -> "DirectoryPerson":
        """The person a SCIM user is."""
        enterprise = scim.enterprise
        return cls(
            email=scim.user_name,
            active=scim.active,
            display_name=scim.display_name if scim.display_name != scim.user_name else None,
            given_name=scim.name.given_name if scim.name else None,
            family_name=scim.name.family_name if scim.name else None,
            title=scim.title,
            department=enterprise.department if enterprise else None,
            cost_center=enterprise.cost_center if enterprise else None,
            organization=enterprise.organization if enterprise else None,
            division=enterprise.division if enterprise else None,
            manager=enterprise.manager.value if enterprise and enterprise.manager else None,
            groups=tuple(group.display or group.value for group in scim.groups),
        )

    def attribute(self, name: str) -> str | None:
        """The value of a matched attribute (`MATCHED_ATTRIBUTES`), by its Python name."""
        value: str | None = getattr(self, name)
        return value

    def scim(self, role: RoleAndProfile) -> ScimUserBody:
        """The SCIM user the directory's sync writes, managed by the sync (its mark), in
        `role` until a license rule gives another."""
        manager = {"manager": {"value": self.manager}} if self.manager else {}
        enterprise = {
            "department": self.department,
            "costCenter": self.cost_center,
            "organization": self.organization,
            "division": self.division,
            **manager,
        }
        body: dict[str, Any] = {
            "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA, CONTACT_CENTER_SCHEMA],
            "userName": self.email,
            "active": self.active,
            "displayName": self.display_name,
            "name": {"givenName": self.given_name, "familyName": self.family_name},
            "title": self.title,
            "externalId": f"{DIRECTORY_MARK}{self.email}",
            "groups": [{"value": group, "display": group} for group in self.groups],
            ENTERPRISE_SCHEMA: {k: v for k, v in enterprise.items() if v is not None},
            CONTACT_CENTER_SCHEMA: role.model_dump(mode="json", by_alias=True),
        }
        return ScimUserBody.model_validate(body)
