"""The mock backend's HTTP API, shaped like the vendor's provisioning API.

Routes live under a versioned prefix, bodies are JSON, lists are paginated with `max`
and an RFC 5988 `Link: <...>; rel="next"` header, and every error answers with the
vendor's body: `{"message", "errors": [{"description"}], "trackingId"}`.
"""

import uuid
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ccprovider import __version__
from ccprovider.backend.errors import BackendError
from ccprovider.backend.storage import Store
from ccprovider.contract import API_PREFIX, ErrorBody, ErrorDetail, Tenant, TenantBody, TenantList

TRACKING_HEADER = "TrackingID"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


def error_response(status_code: int, message: str, details: Sequence[str]) -> JSONResponse:
    """The vendor's error body, with a fresh tracking id in the body and a header."""
    tracking_id = str(uuid.uuid4())
    body = ErrorBody(
        message=message,
        errors=[ErrorDetail(description=d) for d in details],
        tracking_id=tracking_id,
    )
    return JSONResponse(
        body.model_dump(by_alias=True),
        status_code=status_code,
        headers={TRACKING_HEADER: tracking_id},
    )


def _describe_validation_error(error: dict[str, Any]) -> str:
    location = ".".join(str(part) for part in error["loc"] if part != "body")
    return f"{location}: {error['msg']}" if location else str(error["msg"])


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(BackendError)
    async def backend_error(_: Request, exc: BackendError) -> JSONResponse:
        return error_response(exc.status, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [_describe_validation_error(e) for e in exc.errors()]
        return error_response(status.HTTP_400_BAD_REQUEST, "The request is invalid.", details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail), [str(exc.detail)])


def _next_link(request: Request, page_size: int, cursor: int) -> str:
    url = request.url.include_query_params(max=page_size, start=cursor)
    return f'<{url}>; rel="next"'


def _tenant_routes(store: Store) -> APIRouter:
    router = APIRouter(prefix=f"{API_PREFIX}/tenants", tags=["tenants"])

    @router.get("", response_model=TenantList, response_model_by_alias=True)
    def list_tenants(
        request: Request,
        response: Response,
        name: Annotated[str | None, Query(description="Only the tenant with this name.")] = None,
        max_: Annotated[int, Query(alias="max", ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
        start: Annotated[int, Query(ge=0, description="Opaque cursor from a `Link` header.")] = 0,
    ) -> TenantList:
        rows = store.list_tenants(name=name, after=start, limit=max_ + 1)
        page = rows[:max_]
        if len(rows) > max_:
            response.headers["Link"] = _next_link(request, max_, page[-1][0])
        return TenantList(items=[tenant for _, tenant in page])

    @router.post(
        "",
        status_code=status.HTTP_201_CREATED,
        response_model=Tenant,
        response_model_by_alias=True,
    )
    def create_tenant(body: TenantBody, request: Request, response: Response) -> Tenant:
        tenant = store.create_tenant(body)
        response.headers["Location"] = str(request.url_for("get_tenant", tenant_id=tenant.id))
        return tenant

    @router.get("/{tenant_id}", response_model=Tenant, response_model_by_alias=True)
    def get_tenant(tenant_id: str) -> Tenant:
        return store.get_tenant(tenant_id)

    @router.put("/{tenant_id}", response_model=Tenant, response_model_by_alias=True)
    def replace_tenant(tenant_id: str, body: TenantBody) -> Tenant:
        return store.replace_tenant(tenant_id, body)

    @router.delete("/{tenant_id}", status_code=status.HTTP_204_NO_CONTENT)
    def delete_tenant(tenant_id: str) -> Response:
        store.delete_tenant(tenant_id)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router


def create_app(store: Store) -> FastAPI:
    """The backend's ASGI app over `store`; the server and the embedded mode both serve it."""
    app = FastAPI(
        title="Contact Center provisioning API (mock)",
        version=__version__,
        description="A faithful mock of the vendor's provisioning API, for ccprovider.",
    )
    _install_error_handlers(app)
    app.include_router(_tenant_routes(store))
    return app
