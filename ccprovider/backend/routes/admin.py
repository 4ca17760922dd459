"""Controls of the mock itself, not of the vendor's API: the simulated clock."""

from fastapi import APIRouter

from ccprovider import contract
from ccprovider.backend.service.clock import ClockService


def router(service: ClockService) -> APIRouter:
    routes = APIRouter(prefix=f"{contract.SIMULATOR_PREFIX}/admin", tags=["simulator: clock"])

    @routes.get("/clock", response_model=contract.ClockState)
    def read_clock() -> contract.ClockState:
        return service.clock()

    @routes.post("/clock", response_model=contract.ClockState)
    def change_clock(change: contract.ClockChange) -> contract.ClockState:
        return service.change_clock(change)

    return routes
