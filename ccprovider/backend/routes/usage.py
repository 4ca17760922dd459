"""Usage records and the billing summary: `/v1/simulator/tenants/{tenantId}/usage|billing`."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from ccprovider import contract
from ccprovider.backend.http import DEFAULT_PAGE_SIZE, Cursor, PageSize, paged
from ccprovider.backend.service.billing import BillingService
from ccprovider.domain import UsageRecord

Period = Annotated[
    str, Query(pattern=r"^(2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$", description="A month: YYYY-MM.")
]


def router(service: BillingService) -> APIRouter:
    routes = APIRouter(
        prefix=f"{contract.SIMULATOR_PREFIX}/tenants/{{tenant_id}}",
        tags=["simulator: usage and billing"],
    )

    @routes.post(
        "/usage", status_code=status.HTTP_201_CREATED, response_model=contract.UsageAccepted
    )
    def add_usage(tenant_id: str, batch: contract.UsageBatch) -> contract.UsageAccepted:
        return service.add_usage(tenant_id, batch)

    @routes.get("/usage", response_model=contract.Page[UsageRecord])
    def list_usage(
        tenant_id: str,
        period: Period,
        request: Request,
        response: Response,
        max_: PageSize = DEFAULT_PAGE_SIZE,
        start: Cursor = 0,
    ) -> contract.Page[UsageRecord]:
        return paged(request, response, service.list_usage(tenant_id, period, start, max_), max_)

    @routes.get("/billing", response_model=contract.BillingSummary)
    def billing_summary(tenant_id: str, period: Period) -> contract.BillingSummary:
        return service.billing_summary(tenant_id, period)

    return routes
