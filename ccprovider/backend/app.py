"""The mock backend's HTTP app, shaped like the vendor's provisioning API.

Routes live under a versioned prefix, bodies are JSON, lists are paginated with `max`
and an RFC 5988 `Link: <...>; rel="next"` header, single objects carry an `ETag` that
`If-Match` can require, and every error answers with the vendor's body:
`{"message", "errors": [{"description"}], "trackingId"}`.
"""

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ccprovider import __version__
from ccprovider.backend.errors import BackendError
from ccprovider.backend.http import (
    AccessPolicy,
    RateLimiter,
    describe_validation_error,
    error_response,
    refusal,
)
from ccprovider.backend.middleware import (
    Authorize,
    BodyLimit,
    FaultInjector,
    Faults,
    Idempotency,
    ProvisioningDate,
    RateLimit,
    RequestLog,
    Unavailable,
)
from ccprovider.backend.routes import (
    access,
    admin,
    organizations,
    partners,
    scim,
    scim_bulk,
    subscriptions,
    tenants,
    usage,
    vendor_licenses,
    vendor_people,
)
from ccprovider.backend.routes.vendor_access import VENDOR_TAGS
from ccprovider.backend.service import ProvisioningService
from ccprovider.backend.storage import Store
from ccprovider.contract import SIMULATOR_PREFIX, ErrorBody

_log = logging.getLogger(__name__)

SIMULATOR_TAGS: list[dict[str, Any]] = [
    {
        "name": f"simulator: {name}",
        "description": f"{what}: the simulator's own routes, under `{SIMULATOR_PREFIX}`, "
        "for what the vendor publishes no API for.",
    }
    for name, what in (
        ("tenants", "Provisioning a tenant (an organization)"),
        ("subscriptions", "Ordering, changing, cancelling and ending subscriptions"),
        ("partners", "Partner organisations and their access"),
        ("usage and billing", "Usage records and the bill"),
        ("access", "Whether a user has access now, and through which subscription"),
        ("clock", "The simulated clock, which drives expiry"),
    )
]
"""The OpenAPI tags of the simulator's own routes, with what they are."""


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(BackendError)
    async def backend_error(_: Request, exc: BackendError) -> JSONResponse:
        return refusal(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [describe_validation_error(e) for e in exc.errors()]
        return error_response(status.HTTP_400_BAD_REQUEST, "The request is invalid.", details)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        _log.exception("unexpected error", exc_info=exc)
        return error_response(
            status.HTTP_500_INTERNAL_SERVER_ERROR,
            "The backend failed unexpectedly.",
            ["Retry later; if it persists, report the tracking id."],
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Keep the exception's headers, such as `Allow` on a 405.
        return error_response(exc.status_code, str(exc.detail), [str(exc.detail)], exc.headers)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status_code: {"model": ErrorBody, "description": description}
    for status_code, description in (
        (400, "The request is invalid"),
        (401, "No valid bearer token"),
        (403, "The token's role does not allow this"),
        (404, "Not found"),
        (409, "Conflicts with existing state or a vendor rule"),
        (411, "The body has no Content-Length"),
        (412, "The ETag in If-Match no longer matches"),
        (413, "The body is too large"),
        (429, "Too many requests; see Retry-After"),
        (500, "The backend failed"),
        (503, "The backend is unavailable"),
    )
}
"""Every error answers with the vendor's body; the OpenAPI schema says so for every route."""

REQUEST_LOG_ENV = "CCPROVIDER_BACKEND_REQUEST_LOG"
"""A file to append every API request to; benchmarks set it to count requests."""

MAX_BODY_BYTES = 4 * 1024 * 1024
"""Large enough for a batch of 10,000 usage records."""


def create_app(
    store: Store,
    policy: AccessPolicy | None = None,
    rate_limiter: RateLimiter | None = None,
    faults: Faults | None = None,
) -> FastAPI:
    """The backend's ASGI app over `store`; the server and the embedded mode both serve it.

    `policy` without tokens (the default) leaves the API open, as the embedded backend on
    loopback is; `rate_limiter` without a rate (the default) admits every request; `faults`
    (none by default) makes a share of requests fail, for testing clients.
    """
    policy = policy or AccessPolicy()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()  # the server stops: let go of the database

    app = FastAPI(
        lifespan=lifespan,
        title="Contact Center provisioning API (mock)",
        version=__version__,
        description="A faithful mock of the vendor's provisioning API, for ccprovider.",
        openapi_tags=[*SIMULATOR_TAGS, *VENDOR_TAGS],
    )
    _install_error_handlers(app)
    service = ProvisioningService(store)
    # The vendor's routes first: a request is matched against the routes in order, and
    # the bulk of the calls are license PATCHes and SCIM.
    for vendor in (vendor_licenses, scim, scim_bulk, vendor_people, organizations):
        app.include_router(vendor.router(service), responses=ERROR_RESPONSES)
    for module in (tenants, subscriptions, partners, usage, access, admin):
        app.include_router(module.router(service), responses=ERROR_RESPONSES)
    # The last added runs first: answering for an unreachable database, dating, faults,
    # the body limit, the rate limit, authorization, then idempotent replays.
    app.add_middleware(Idempotency, store=store)
    app.add_middleware(Authorize, policy=policy, store=store)
    app.add_middleware(RateLimit, limiter=rate_limiter or RateLimiter())
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    if faults is not None and (faults.rate or faults.latency_ms):
        app.add_middleware(FaultInjector, faults=faults)
    request_log = os.environ.get(REQUEST_LOG_ENV)
    if request_log:
        app.add_middleware(RequestLog, path=request_log)
    app.add_middleware(ProvisioningDate, store=store)  # every answer is dated...
    app.add_middleware(Unavailable)  # ...but by a database that can be reached
    return app
