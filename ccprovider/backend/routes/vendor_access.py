"""What the routes that follow the vendor's own API share: their OpenAPI tags, the
organisation a request names, and the check of a partner's access to it.

The `Authorize` middleware only authenticates these routes' callers, as their organisation
is in a query, a body or an id; each route finds it, then calls `OrgGuard`.
"""

from typing import Annotated, Any

from fastapi import Query, Request

from ccprovider.backend.errors import BadRequestError
from ccprovider.backend.http import CALLER, Caller, Role, is_safe, refuse_partner
from ccprovider.backend.service.organizations import OrganizationService
from ccprovider.backend.vendor_ids import tenant_of

VENDOR_TAGS: list[dict[str, Any]] = [
    {
        "name": name,
        "description": f"{what}, as the vendor (Cisco Webex) publishes them: its clients, "
        "such as `webexpythonsdk`, work against this backend unchanged.",
    }
    for name, what in (
        ("webex: licenses", "Licenses and assigning them"),
        ("webex: people", "People"),
        ("webex: SCIM 2 users", "SCIM 2.0 users"),
        ("webex: organizations", "Organizations"),
        ("webex: partner administrators", "Partner administrators"),
    )
]
"""The OpenAPI tags of the vendor's routes, with what they are."""

OrgQuery = Annotated[
    str | None, Query(alias="orgId", max_length=512, description="The organization's id.")
]


def required_org(org: str | None) -> str:
    """The tenant an `orgId` names; 400 without one, as a token of this backend speaks for
    no single organisation."""
    if org is None:
        raise BadRequestError(
            "orgId is required: a token of this backend speaks for no single organization.",
            "Pass orgId=<id>; GET /v1/organizations lists the organizations your token reaches.",
        )
    return tenant_of(org)


class OrgGuard:
    """Refuses (403) a partner a request on an organisation where it holds no access, a
    change where it holds read-only access, and any grant of partner access."""

    def __init__(self, service: OrganizationService) -> None:
        self.service = service

    def __call__(self, request: Request, tenant_id: str, *, grants: bool = False) -> None:
        caller = getattr(request.state, CALLER, None)
        if not isinstance(caller, Caller) or caller.role is not Role.PARTNER:
            return
        access = self.service.partner_access_of(tenant_id, str(caller.org))
        writes = not is_safe(request.method)
        refuse_partner(caller, tenant_id, access, writes=writes, grants=grants)


def partner_of(request: Request) -> str | None:
    """The partner organisation a request's token speaks for, if any."""
    caller = getattr(request.state, CALLER, None)
    return caller.org if isinstance(caller, Caller) and caller.role is Role.PARTNER else None
