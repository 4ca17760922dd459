"""Licenses and users' access: `/v1/tenants/{tenantId}/licenses|access`."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from ccprovider import contract
from ccprovider.backend.http import (
    DEFAULT_PAGE_SIZE,
    Cursor,
    IfMatch,
    PageSize,
    expected_version,
    paged,
)
from ccprovider.backend.service.licenses import LicenseService


def router(service: LicenseService) -> APIRouter:
    routes = APIRouter(prefix=f"{contract.API_PREFIX}/tenants/{{tenant_id}}", tags=["users"])

    @routes.get("/licenses", response_model=list[contract.License])
    def list_licenses(tenant_id: str) -> list[contract.License]:
        return service.list_licenses(tenant_id)

    @routes.patch(
        "/licenses/users",
        response_model=contract.LicensePatchResult,
        responses={206: {"model": contract.LicensePatchResult, "description": "Partial success"}},
    )
    def patch_user_licenses(
        tenant_id: str, patch: contract.LicensePatch, response: Response, if_match: IfMatch = None
    ) -> contract.LicensePatchResult:
        outcome = service.patch_licenses(tenant_id, patch, expected_version(if_match))
        response.headers["ETag"] = f'"{outcome.version}"'
        if not outcome.complete:
            response.status_code = status.HTTP_206_PARTIAL_CONTENT
        return outcome.result

    @routes.get("/licenses/users", response_model=contract.Page[contract.User])
    def list_managed_users(
        tenant_id: str,
        request: Request,
        response: Response,
        external_id: Annotated[
            str, Query(alias="externalId", description="Only users that carry this mark.")
        ],
        max_: PageSize = DEFAULT_PAGE_SIZE,
        start: Cursor = 0,
    ) -> contract.Page[contract.User]:
        page = service.list_managed_users(tenant_id, external_id, start, max_)
        return paged(request, response, page, max_)

    @routes.patch(
        "/licenses/users/bulk",
        response_model=contract.BulkAssignmentOutcome,
        responses={
            206: {"model": contract.BulkAssignmentOutcome, "description": "Some users failed"}
        },
    )
    def bulk_assign(
        tenant_id: str, batch: contract.BulkAssignmentBatch, response: Response
    ) -> contract.BulkAssignmentOutcome:
        outcome, complete = service.bulk_assign(tenant_id, batch)
        if not complete:
            response.status_code = status.HTTP_206_PARTIAL_CONTENT
        return outcome

    @routes.get("/access", response_model=contract.AccessCheck)
    def check_access(
        tenant_id: str, email: Annotated[str, Query(description="The user's e-mail.")]
    ) -> contract.AccessCheck:
        return service.check_access(tenant_id, email)

    return routes
