"""Users, their licenses and their access: `/v1/tenants/{tenantId}/users|licenses|access`."""

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
from ccprovider.backend.routes.collection import Collection, collection_router
from ccprovider.backend.service import ProvisioningService


def router(service: ProvisioningService) -> APIRouter:
    licenses = APIRouter(prefix=f"{contract.API_PREFIX}/tenants/{{tenant_id}}", tags=["users"])

    @licenses.get("/licenses", response_model=list[contract.License])
    def list_licenses(tenant_id: str) -> list[contract.License]:
        return service.list_licenses(tenant_id)

    @licenses.patch(
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

    @licenses.get("/licenses/users", response_model=contract.Page[contract.User])
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

    @licenses.patch(
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

    @licenses.get("/access", response_model=contract.AccessCheck)
    def check_access(
        tenant_id: str, email: Annotated[str, Query(description="The user's e-mail.")]
    ) -> contract.AccessCheck:
        return service.check_access(tenant_id, email)

    users = collection_router(
        Collection(
            path="users",
            singular="user",
            natural_key="email",
            body=contract.UserBody,
            model=contract.User,
            list=service.list_users,
            create=service.create_user,
            get=service.get_user,
            replace=service.replace_user,
            delete=service.delete_user,
        )
    )
    routes = APIRouter()
    routes.include_router(users)
    routes.include_router(licenses)
    return routes
