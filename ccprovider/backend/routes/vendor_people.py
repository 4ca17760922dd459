"""The vendor's people: `/v1/people` (by e-mail or ids, or every one, paged with `Link`),
and one person to read, update (`PUT`, the whole person) or delete."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status

from ccprovider import contract
from ccprovider.backend.errors import BackendError, BadRequestError
from ccprovider.backend.http import DEFAULT_PAGE_SIZE, Cursor, PageSize, paged, request_key
from ccprovider.backend.routes.vendor_access import OrgGuard, OrgQuery, required_org
from ccprovider.backend.service import ProvisioningService
from ccprovider.backend.service.people import PersonChange, PersonState
from ccprovider.backend.vendor_ids import Kind, decode, encode, org_id, person_id
from ccprovider.domain import RoleAndProfile, UserRole
from ccprovider.scim_contract import FULL_ADMIN_ROLE
from ccprovider.vendor_contract import (
    Person,
    PersonCollection,
    PersonCreate,
    PersonUpdate,
    vendor_time,
)

PersonId = Annotated[str, Path(alias="personId", max_length=512)]

MAX_IDS = 85
"""The most person ids one list names, as the vendor's."""


def person_view(person: PersonState) -> Person:
    """A person as the vendor shows them; a contact-center admin is a full administrator."""
    identity = person.identity
    admin = identity.role is UserRole.ADMIN
    return Person(
        id=person_id(person.user_id),
        emails=[identity.email],
        display_name=person.display_name,
        first_name=person.profile.get("firstName"),
        last_name=person.profile.get("lastName"),
        org_id=org_id(person.tenant_id),
        roles=[encode(Kind.ROLE, FULL_ADMIN_ROLE)] if admin else [],
        licenses=person.licenses,
        created=vendor_time(person.created),
        last_modified=vendor_time(person.updated),
        contact_center=RoleAndProfile(role=identity.role, agent_profile=identity.agent_profile),
    )


def _profile(body: PersonCreate | PersonUpdate) -> dict[str, str]:
    """The names a create or an update gives, as a stored user keeps them."""
    names = {
        "displayName": body.display_name,
        "firstName": body.first_name,
        "lastName": body.last_name,
    }
    return {k: v for k, v in names.items() if v}


def _user_ids(ids: str) -> tuple[list[str], list[str]]:
    """The stored ids of the people a comma-separated list names, and the ids that name
    no person at all."""
    named = [i.strip() for i in ids.split(",") if i.strip()]
    if len(named) > MAX_IDS:
        raise BadRequestError(f"id names {len(named)} people: at most {MAX_IDS} at once.")
    found, unknown = [], []
    for vendor_id in named:
        try:
            found.append(decode(Kind.PEOPLE, vendor_id))
        except BackendError:
            unknown.append(vendor_id)
    return found, unknown


def router(service: ProvisioningService) -> APIRouter:
    routes = APIRouter(prefix=f"{contract.VENDOR_PREFIX}/people", tags=["webex: people"])
    guard = OrgGuard(service)

    def tenant_of_person(request: Request, vendor_id: str) -> tuple[str, str]:
        """The tenant and stored id of the person a vendor id names, once the caller may."""
        user_id = decode(Kind.PEOPLE, vendor_id)
        tenant_id = service.person_tenant(user_id)
        guard(request, tenant_id)
        return tenant_id, user_id

    @routes.get("", response_model=PersonCollection, response_model_exclude_none=True)
    def list_people(
        request: Request,
        response: Response,
        org: OrgQuery = None,
        email: Annotated[str | None, Query(max_length=254)] = None,
        ids: Annotated[str | None, Query(alias="id", max_length=10_000)] = None,
        max_: PageSize = DEFAULT_PAGE_SIZE,
        start: Cursor = 0,
    ) -> PersonCollection:
        tenant_id = required_org(org)
        guard(request, tenant_id)
        user_ids, unknown = _user_ids(ids) if ids is not None else (None, [])
        page = service.list_people(tenant_id, email, user_ids, start, max_)
        people = [person_view(p) for p in paged(request, response, page, max_).items]
        if ids is None:
            return PersonCollection(items=people)
        listed = {p.user_id for p in page.items}
        missing = [person_id(u) for u in user_ids or [] if u not in listed]
        return PersonCollection(items=people, not_found_ids=unknown + missing)

    @routes.post("", response_model=Person, response_model_exclude_none=True)
    def create_person(body: PersonCreate, request: Request) -> Person:
        tenant_id = required_org(body.org_id)
        guard(request, tenant_id)
        change = PersonChange(
            email=body.emails[0],
            role=body.contact_center,
            external_id=None,
            profile=_profile(body),
            licenses=body.licenses,
        )
        person, _new = service.create_person(tenant_id, change, request_key(request))
        return person_view(person)

    @routes.get("/{personId}", response_model=Person, response_model_exclude_none=True)
    def get_person(person: PersonId, request: Request) -> Person:
        return person_view(service.get_person(*tenant_of_person(request, person)))

    @routes.put("/{personId}", response_model=Person, response_model_exclude_none=True)
    def update_person(person: PersonId, body: PersonUpdate, request: Request) -> Person:
        def change(current: PersonState) -> PersonChange:
            return PersonChange(
                email=body.emails[0] if body.emails else current.identity.email,
                role=body.contact_center,
                external_id=current.identity.external_id,
                profile=_profile(body),
                licenses=body.licenses,
            )

        tenant_id, user_id = tenant_of_person(request, person)
        return person_view(service.update_person(tenant_id, user_id, change))

    @routes.delete("/{personId}", status_code=status.HTTP_204_NO_CONTENT)
    def delete_person(person: PersonId, request: Request) -> Response:
        service.delete_person(*tenant_of_person(request, person))
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return routes
