"""Tenants: `/v1/simulator/tenants`."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from ccprovider import contract
from ccprovider.backend.http import (
    CALLER,
    DEFAULT_PAGE_SIZE,
    Caller,
    Cursor,
    IfMatch,
    PageSize,
    expected_version,
    paged,
    request_key,
    versioned,
)
from ccprovider.backend.service.tenants import TenantService


def router(service: TenantService) -> APIRouter:
    routes = APIRouter(prefix=f"{contract.SIMULATOR_PREFIX}/tenants", tags=["simulator: tenants"])

    @routes.get("", response_model=contract.Page[contract.Tenant])
    def list_tenants(
        request: Request,
        response: Response,
        name: Annotated[str | None, Query(description="Only the tenant with this name.")] = None,
        max_: PageSize = DEFAULT_PAGE_SIZE,
        start: Cursor = 0,
    ) -> contract.Page[contract.Tenant]:
        caller = getattr(request.state, CALLER, None)
        partner = caller.org if isinstance(caller, Caller) else None
        page = service.list_tenants(name, start, max_, visible_to=partner)
        return paged(request, response, page, max_)

    @routes.post("", status_code=status.HTTP_201_CREATED, response_model=contract.Tenant)
    def create_tenant(
        body: contract.TenantBody, request: Request, response: Response
    ) -> contract.Tenant:
        tenant = versioned(response, service.create_tenant(body, request_key(request)))
        response.headers["Location"] = str(request.url_for("get_tenant", tenant_id=tenant.id))
        return tenant

    @routes.get("/{tenant_id}", response_model=contract.Tenant)
    def get_tenant(tenant_id: str, response: Response) -> contract.Tenant:
        return versioned(response, service.get_tenant(tenant_id))

    @routes.put("/{tenant_id}", response_model=contract.Tenant)
    def replace_tenant(
        tenant_id: str, body: contract.TenantBody, response: Response, if_match: IfMatch = None
    ) -> contract.Tenant:
        result = service.replace_tenant(tenant_id, body, expected_version(if_match))
        return versioned(response, result)

    @routes.delete("/{tenant_id}", status_code=status.HTTP_204_NO_CONTENT)
    def delete_tenant(tenant_id: str, if_match: IfMatch = None) -> Response:
        service.delete_tenant(tenant_id, expected_version(if_match))
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return routes
