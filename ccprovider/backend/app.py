"""The mock backend's HTTP app, shaped like the vendor's provisioning API.

Routes live under a versioned prefix, bodies are JSON, lists are paginated with `max`
and an RFC 5988 `Link: <...>; rel="next"` header, single objects carry an `ETag` that
`If-Match` can require, and every error answers with the vendor's body:
`{"message", "errors": [{"description"}], "trackingId"}`.
"""

import logging

from fastapi import Depends, FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ccprovider import __version__
from ccprovider.backend.errors import BackendError, TooManyRequestsError
from ccprovider.backend.http import (
    AccessPolicy,
    RateLimiter,
    describe_validation_error,
    error_response,
)
from ccprovider.backend.routes import admin, partners, subscriptions, tenants, usage, users
from ccprovider.backend.service import ProvisioningService
from ccprovider.backend.storage import Store

_log = logging.getLogger(__name__)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(BackendError)
    async def backend_error(_: Request, exc: BackendError) -> JSONResponse:
        headers = (
            {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequestsError) else {}
        )
        return error_response(exc.status, exc.message, exc.details, headers)

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
        return error_response(exc.status_code, str(exc.detail), [str(exc.detail)])


def create_app(
    store: Store,
    policy: AccessPolicy | None = None,
    rate_limiter: RateLimiter | None = None,
) -> FastAPI:
    """The backend's ASGI app over `store`; the server and the embedded mode both serve it.

    `policy` without tokens (the default) leaves the API open, as the embedded backend on
    loopback is; `rate_limiter` without a rate (the default) admits every request.
    """
    policy = policy or AccessPolicy()
    limiter = rate_limiter or RateLimiter()

    def guard(request: Request) -> None:
        policy.authorize(request)
        limiter.admit(request)

    app = FastAPI(
        title="Contact Center provisioning API (mock)",
        version=__version__,
        description="A faithful mock of the vendor's provisioning API, for ccprovider.",
        dependencies=[Depends(guard)],
    )
    _install_error_handlers(app)
    service = ProvisioningService(store)
    for module in (tenants, subscriptions, users, partners, usage, admin):
        app.include_router(module.router(service))
    return app
