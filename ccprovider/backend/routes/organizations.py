"""The vendor's organizations (`/v1/organizations`) and partner administrators
(`/v1/partner/organizations/{orgId}/partnerAdmins`, assigned and unassigned one by one)."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from ccprovider import contract
from ccprovider.backend.routes.vendor_access import OrgGuard, partner_of
from ccprovider.backend.service import ProvisioningService
from ccprovider.backend.vendor_ids import partner_org, tenant_of
from ccprovider.vendor_contract import Organization, PartnerAdmin

OrgId = Annotated[str, Path(alias="orgId", max_length=512)]
PersonId = Annotated[str, Path(alias="personId", max_length=512)]


def router(service: ProvisioningService) -> APIRouter:
    routes = APIRouter(prefix=contract.VENDOR_PREFIX)
    guard = OrgGuard(service)

    @routes.get(
        "/organizations",
        response_model=contract.Page[Organization],
        tags=["webex: organizations"],
    )
    def list_organizations(request: Request) -> contract.Page[Organization]:
        return contract.Page(items=service.list_organizations(visible_to=partner_of(request)))

    @routes.get(
        "/organizations/{orgId}", response_model=Organization, tags=["webex: organizations"]
    )
    def get_organization(org: OrgId, request: Request) -> Organization:
        tenant_id = tenant_of(org)
        guard(request, tenant_id)
        return service.get_organization(tenant_id)

    partners = APIRouter(
        prefix="/partner/organizations/{orgId}", tags=["webex: partner administrators"]
    )

    @partners.get("/partnerAdmins", response_model=contract.Page[PartnerAdmin])
    def list_partner_admins(org: OrgId, request: Request) -> contract.Page[PartnerAdmin]:
        tenant_id = tenant_of(org)
        guard(request, tenant_id)
        return contract.Page(items=service.list_partner_admins(tenant_id))

    @partners.post("/partnerAdmin/{personId}/assign", response_class=Response)
    def assign_partner_admin(org: OrgId, person: PersonId, request: Request) -> Response:
        tenant_id = tenant_of(org)
        guard(request, tenant_id, grants=True)
        service.assign_partner_admin(tenant_id, partner_org(person))
        return Response()

    @partners.delete("/partnerAdmin/{personId}/unassign", response_class=Response)
    def unassign_partner_admin(org: OrgId, person: PersonId, request: Request) -> Response:
        tenant_id = tenant_of(org)
        guard(request, tenant_id, grants=True)
        service.unassign_partner_admin(tenant_id, partner_org(person))
        return Response()

    routes.include_router(partners)
    return routes
