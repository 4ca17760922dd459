"""The vendor's SCIM 2.0 users: `/identity/scim/{orgId}/v2/Users` to create and search
(`filter`, 1-based `startIndex`, `count`), `.../Users/{id}` to read, replace (`PUT`),
patch (a `PatchOp`) and delete. Every version is an `ETag` (`meta.version`) that
`If-Match` can require."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response, status
from pydantic import ValidationError

from ccprovider.backend.errors import BadRequestError
from ccprovider.backend.http import (
    IfMatch,
    describe_validation_error,
    expected_version,
    request_key,
)
from ccprovider.backend.routes.vendor_access import OrgGuard
from ccprovider.backend.scim_ops import apply_patch, parse_filter
from ccprovider.backend.service import ProvisioningService
from ccprovider.backend.service.people import PersonChange, PersonState
from ccprovider.backend.service.users import INACTIVE
from ccprovider.backend.vendor_ids import tenant_of
from ccprovider.domain import RoleAndProfile, UserRole
from ccprovider.scim_contract import (
    CONTACT_CENTER_SCHEMA,
    FULL_ADMIN_ROLE,
    USER_SCHEMA,
    ScimEmail,
    ScimEnterprise,
    ScimGroupRef,
    ScimList,
    ScimManager,
    ScimMeta,
    ScimName,
    ScimPatch,
    ScimRole,
    ScimUser,
    ScimUserBody,
)
from ccprovider.vendor_contract import vendor_time

OrgId = Annotated[str, Path(alias="orgId", max_length=512)]
UserId = Annotated[str, Path(alias="userId", max_length=512)]
MAX_COUNT = 1000


def _change(body: ScimUserBody) -> PersonChange:
    """What a SCIM user asks a person to be, directory attributes included; without the
    contact-center extension, their role stays as it is."""
    if USER_SCHEMA not in body.schemas:
        raise BadRequestError(f"schemas must include {USER_SCHEMA}.")
    enterprise = body.enterprise or ScimEnterprise()
    profile = {
        "displayName": body.display_name,
        "firstName": body.name.given_name if body.name else None,
        "lastName": body.name.family_name if body.name else None,
        "title": body.title,
        "department": enterprise.department,
        "costCenter": enterprise.cost_center,
        "organization": enterprise.organization,
        "division": enterprise.division,
        "manager": enterprise.manager.value if enterprise.manager else None,
        "groups": [group.display or group.value for group in body.groups],
        INACTIVE: not body.active,
    }
    return PersonChange(
        email=body.user_name,
        role=body.contact_center,
        external_id=body.external_id,
        profile={k: v for k, v in profile.items() if v},
        directory=True,
    )


def _name(person: PersonState) -> ScimName | None:
    """A person's name as SCIM gives it; none when no route gave one."""
    given, family = person.profile.get("firstName"), person.profile.get("lastName")
    return ScimName(given_name=given, family_name=family) if given or family else None


def _enterprise(person: PersonState) -> ScimEnterprise | None:
    """A person's enterprise attributes; none when the directory gave none."""
    profile = person.profile
    manager = profile.get("manager")
    enterprise = ScimEnterprise(
        department=profile.get("department"),
        cost_center=profile.get("costCenter"),
        organization=profile.get("organization"),
        division=profile.get("division"),
        manager=ScimManager(value=manager) if manager else None,
    )
    return enterprise if enterprise.model_dump(exclude_none=True) else None


def _document(user: ScimUser) -> dict[str, Any]:
    """The attributes of a user that a PATCH may change, as a JSON document."""
    return user.model_dump(
        mode="json",
        by_alias=True,
        include={"schemas", "user_name", "active", "display_name", "name", "external_id"}
        | {"title", "groups", "enterprise", "contact_center"},
        exclude_none=True,
    )


def _patched(user: ScimUser, patch: ScimPatch) -> ScimUserBody:
    """The user after a PATCH; 400 naming what the operations left invalid."""
    try:
        return ScimUserBody.model_validate(apply_patch(_document(user), patch.operations))
    except ValidationError as invalid:
        details = [describe_validation_error(e) for e in invalid.errors()]
        raise BadRequestError("The patched user is invalid.", *details) from None


class ScimUsers:
    """What SCIM does to the users of an organisation, for the routes that do it to one user
    and for the bulk route, which does it to many."""

    def __init__(self, service: ProvisioningService) -> None:
        self.service = service
        self.guard = OrgGuard(service)

    def tenant(self, request: Request, org: str) -> str:
        """The tenant `org` names, once the caller may reach it."""
        tenant_id = tenant_of(org)
        self.guard(request, tenant_id)
        return tenant_id

    def show(self, request: Request, org: str, person: PersonState) -> ScimUser:
        """A person as SCIM shows them."""
        identity = person.identity
        version = f'W/"{person.version}"'
        location = f"{request.base_url}identity/scim/{org}/v2/Users/{person.user_id}"
        admin = identity.role is UserRole.ADMIN
        return ScimUser(
            schemas=[USER_SCHEMA, CONTACT_CENTER_SCHEMA],
            id=person.user_id,
            user_name=identity.email,
            display_name=person.display_name,
            name=_name(person),
            title=person.profile.get("title"),
            active=not person.profile.get(INACTIVE, False),
            groups=[ScimGroupRef(value=g, display=g) for g in person.profile.get("groups", [])],
            enterprise=_enterprise(person),
            emails=[ScimEmail(value=identity.email)],
            roles=[ScimRole(value=FULL_ADMIN_ROLE, display="Full administrator")] if admin else [],
            external_id=identity.external_id,
            contact_center=RoleAndProfile(role=identity.role, agent_profile=identity.agent_profile),
            meta=ScimMeta(
                location=location,
                version=version,
                created=vendor_time(person.created),
                last_modified=vendor_time(person.updated),
            ),
        )

    def create(
        self, request: Request, org: str, body: ScimUserBody, key: str | None
    ) -> tuple[ScimUser, bool]:
        """The user created, and whether this call created them (False: a retry of the
        create that did, answered with the user as they are now)."""
        tenant_id = self.tenant(request, org)
        change = _change(body)
        if change.role is None:
            raise BadRequestError(
                "The user's contact-center role is not given.",
                f'Add "{CONTACT_CENTER_SCHEMA}": {{"role": "agent", "agentProfile": "standard"}}'
                " (or admin, supervisor, a premium agent).",
            )
        person, new = self.service.create_person(tenant_id, change, key)
        return self.show(request, org, person), new

    def patch(
        self, request: Request, org: str, user_id: str, patch: ScimPatch, version: int | None
    ) -> ScimUser:
        def change(current: PersonState) -> PersonChange:
            return _change(_patched(self.show(request, org, current), patch))

        tenant_id = self.tenant(request, org)
        return self.show(
            request, org, self.service.update_person(tenant_id, user_id, change, version)
        )

    def delete(self, request: Request, org: str, user_id: str, version: int | None) -> None:
        self.service.delete_person(self.tenant(request, org), user_id, version)


def _versioned(response: Response, user: ScimUser) -> ScimUser:
    """The user, with their version as the answer's `ETag`."""
    response.headers["ETag"] = user.meta.version
    return user


def router(service: ProvisioningService) -> APIRouter:
    routes = APIRouter(prefix="/identity/scim/{orgId}/v2/Users", tags=["webex: SCIM 2 users"])
    users = ScimUsers(service)

    @routes.post(
        "",
        status_code=status.HTTP_201_CREATED,
        response_model=ScimUser,
        response_model_exclude_none=True,
    )
    def create_user(org: OrgId, body: ScimUserBody, request: Request, response: Response) -> Any:
        user, new = users.create(request, org, body, request_key(request))
        if not new:  # a retry of the create that made them: the user as they are now
            response.status_code = status.HTTP_200_OK
        response.headers["Location"] = user.meta.location
        return _versioned(response, user)

    @routes.get("", response_model=ScimList, response_model_exclude_none=True)
    def search_users(
        org: OrgId,
        request: Request,
        filter_: Annotated[str | None, Query(alias="filter", max_length=1024)] = None,
        start_index: Annotated[int, Query(alias="startIndex", ge=1, le=2**31)] = 1,
        count: Annotated[int, Query(ge=0, le=MAX_COUNT)] = 100,
    ) -> Any:
        match = parse_filter(filter_) if filter_ else None
        tenant_id = users.tenant(request, org)
        total, people = service.search_people(tenant_id, match, start_index, count)
        return ScimList(
            total_results=total,
            items_per_page=len(people),
            start_index=start_index,
            resources=[users.show(request, org, p) for p in people],
        )

    @routes.get("/{userId}", response_model=ScimUser, response_model_exclude_none=True)
    def get_user(org: OrgId, user_id: UserId, request: Request, response: Response) -> Any:
        person = service.get_person(users.tenant(request, org), user_id)
        return _versioned(response, users.show(request, org, person))

    @routes.put("/{userId}", response_model=ScimUser, response_model_exclude_none=True)
    def replace_user(
        org: OrgId,
        user_id: UserId,
        body: ScimUserBody,
        request: Request,
        response: Response,
        if_match: IfMatch = None,
    ) -> Any:
        version = expected_version(if_match)
        changed = service.update_person(
            users.tenant(request, org), user_id, lambda _current: _change(body), version
        )
        return _versioned(response, users.show(request, org, changed))

    @routes.patch("/{userId}", response_model=ScimUser, response_model_exclude_none=True)
    def patch_user(
        org: OrgId,
        user_id: UserId,
        patch: ScimPatch,
        request: Request,
        response: Response,
        if_match: IfMatch = None,
    ) -> Any:
        user = users.patch(request, org, user_id, patch, expected_version(if_match))
        return _versioned(response, user)

    @routes.delete("/{userId}", status_code=status.HTTP_204_NO_CONTENT)
    def delete_user(
        org: OrgId, user_id: UserId, request: Request, if_match: IfMatch = None
    ) -> Response:
        users.delete(request, org, user_id, expected_version(if_match))
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return routes
