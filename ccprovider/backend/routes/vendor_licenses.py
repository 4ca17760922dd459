"""The vendor's licenses: `/v1/licenses`, one license with its holders, and the license
PATCH that assigns them (`206` when only part applies)."""

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response, status

from ccprovider import contract
from ccprovider.backend.errors import BadRequestError
from ccprovider.backend.http import link_next
from ccprovider.backend.routes.vendor_access import OrgGuard, OrgQuery, required_org
from ccprovider.backend.service import ProvisioningService
from ccprovider.backend.vendor_ids import Kind, decode, license_parts, tenant_of
from ccprovider.vendor_contract import (
    LicensesPatch,
    LicensesPatchResult,
    LicenseWithUsers,
    VendorLicense,
)

MAX_HOLDERS = 300
"""The most holders one answer lists, as the vendor's."""


def _patched_org(service: ProvisioningService, patch: LicensesPatch) -> str:
    """The tenant a license PATCH is for: its `orgId`, else its person's, else its
    licenses' (the vendor takes the token's, and a token here has none)."""
    if patch.org_id is not None:
        return tenant_of(patch.org_id)
    if patch.person_id is not None:
        return service.person_tenant(decode(Kind.PEOPLE, patch.person_id))
    if patch.licenses:
        return license_parts(patch.licenses[0].id)[0]
    raise BadRequestError(
        f"orgId is required to find {patch.email}.",
        "Pass the person's orgId, or name them by personId.",
    )


def router(service: ProvisioningService) -> APIRouter:
    routes = APIRouter(prefix=f"{contract.VENDOR_PREFIX}/licenses", tags=["webex: licenses"])
    guard = OrgGuard(service)

    @routes.get("", response_model=contract.Page[VendorLicense], response_model_exclude_none=True)
    def list_licenses(request: Request, org: OrgQuery = None) -> contract.Page[VendorLicense]:
        tenant_id = required_org(org)
        guard(request, tenant_id)
        return contract.Page(items=service.list_vendor_licenses(tenant_id))

    @routes.get("/{licenseId}", response_model=LicenseWithUsers, response_model_exclude_none=True)
    def get_license(
        license_id: Annotated[str, Path(alias="licenseId", max_length=512)],
        request: Request,
        response: Response,
        include_assigned_to: Annotated[
            Literal["user"] | None,
            Query(alias="includeAssignedTo", description="`user`: list who holds it."),
        ] = None,
        after: Annotated[
            int, Query(alias="next", ge=0, le=2**63 - 1, description="From a `Link` header.")
        ] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_HOLDERS)] = MAX_HOLDERS,
    ) -> LicenseWithUsers:
        guard(request, license_parts(license_id)[0])
        holders = (after, limit) if include_assigned_to else None
        found, next_cursor = service.get_vendor_license(license_id, holders)
        if next_cursor is not None:
            link_next(request, response, next=next_cursor, limit=limit)
        return found

    @routes.patch(
        "/users",
        response_model=LicensesPatchResult,
        response_model_exclude_none=True,
        responses={
            206: {"model": LicensesPatchResult, "description": "Only some licenses applied"}
        },
    )
    def assign_licenses(
        patch: LicensesPatch, request: Request, response: Response
    ) -> LicensesPatchResult:
        tenant_id = _patched_org(service, patch)
        guard(request, tenant_id)
        outcome = service.patch_vendor_licenses(tenant_id, patch)
        if not outcome.complete:
            response.status_code = status.HTTP_206_PARTIAL_CONTENT
        return outcome.result

    return routes
