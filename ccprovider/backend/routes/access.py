"""Access checks, the simulator's own: `/v1/simulator/tenants/{tenantId}/access`."""

from typing import Annotated

from fastapi import APIRouter, Query

from ccprovider import contract
from ccprovider.backend.service.licenses import LicenseService


def router(service: LicenseService) -> APIRouter:
    routes = APIRouter(
        prefix=f"{contract.SIMULATOR_PREFIX}/tenants/{{tenant_id}}", tags=["simulator: access"]
    )

    @routes.get("/access", response_model=contract.AccessCheck)
    def check_access(
        tenant_id: str, email: Annotated[str, Query(description="The user's e-mail.")]
    ) -> contract.AccessCheck:
        return service.check_access(tenant_id, email)

    return routes
