"""The routes every collection inside a tenant shares: list (paged, or by natural key),
create, get, replace and delete, with `Location`, `ETag` and `If-Match`."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Body, Header, Path, Query, Request, Response, status
from pydantic import BaseModel

from ccprovider import contract
from ccprovider.backend.http import (
    DEFAULT_PAGE_SIZE,
    ETAG_PATTERN,
    Cursor,
    IfMatch,
    PageSize,
    expected_version,
    paged,
    request_key,
    versioned,
)
from ccprovider.backend.service.common import PageOf, Versioned

B = TypeVar("B", bound=BaseModel)
R = TypeVar("R", bound=contract.Stored)


@dataclass(frozen=True)
class Collection(Generic[B, R]):
    """A collection of a tenant's objects and the service operations behind its routes."""

    path: str
    """URL segment and OpenAPI tag, for example `subscriptions`."""
    singular: str
    """One object, for route names and path parameters, for example `subscription`."""
    natural_key: str
    """The query parameter that finds one object by its natural key, for example `externalId`."""
    body: type[B]
    model: type[R]
    list: Callable[[str, str | None, int, int], PageOf[R]]
    create: Callable[[str, B, int | None, str | None], Versioned[R]]
    """Takes the tenant, the body, the tenant's expected version and the request's key."""
    get: Callable[[str, str], Versioned[R]]
    replace: Callable[[str, str, B, int | None], Versioned[R]]
    delete: Callable[[str, str, int | None], None]


def collection_router(collection: Collection[B, R]) -> APIRouter:
    """The five routes of `collection` under `/v1/simulator/tenants/{tenant_id}/<path>`."""
    c = collection
    id_name = f"{c.singular}_id"
    routes = APIRouter(
        prefix=f"{contract.SIMULATOR_PREFIX}/tenants/{{tenant_id}}/{c.path}",
        tags=[f"simulator: {c.path}"],
    )
    # FastAPI reads these annotations at runtime: the path parameter's name, the natural
    # key's query parameter and the request body's model all come from `collection`.
    object_id_param = Annotated[str, Path(alias=id_name)]
    key_param = Annotated[
        str | None, Query(alias=c.natural_key, description=f"Only the {c.singular} with this key.")
    ]
    body_param = Annotated[c.body, Body()]  # type: ignore[name-defined]

    @routes.get("", response_model=contract.Page[c.model], name=f"list_{c.path}")  # type: ignore[name-defined]
    def list_objects(
        tenant_id: str,
        request: Request,
        response: Response,
        key: key_param = None,
        max_: PageSize = DEFAULT_PAGE_SIZE,
        start: Cursor = 0,
    ) -> Any:
        return paged(request, response, c.list(tenant_id, key, start, max_), max_)

    @routes.post(
        "", status_code=status.HTTP_201_CREATED, response_model=c.model, name=f"create_{c.singular}"
    )
    def create_object(
        tenant_id: str,
        body: body_param,
        request: Request,
        response: Response,
        if_match: Annotated[
            str | None,
            Header(
                pattern=ETAG_PATTERN, description="Create only while the tenant's ETag matches."
            ),
        ] = None,
    ) -> Any:
        result = c.create(tenant_id, body, expected_version(if_match), request_key(request))
        created = versioned(response, result)
        location = request.url_for(
            f"get_{c.singular}", tenant_id=tenant_id, **{id_name: created.id}
        )
        response.headers["Location"] = str(location)
        return created

    @routes.get(f"/{{{id_name}}}", response_model=c.model, name=f"get_{c.singular}")
    def get_object(tenant_id: str, object_id: object_id_param, response: Response) -> Any:
        return versioned(response, c.get(tenant_id, object_id))

    @routes.put(f"/{{{id_name}}}", response_model=c.model, name=f"replace_{c.singular}")
    def replace_object(
        tenant_id: str,
        object_id: object_id_param,
        body: body_param,
        response: Response,
        if_match: IfMatch = None,
    ) -> Any:
        result = c.replace(tenant_id, object_id, body, expected_version(if_match))
        return versioned(response, result)

    @routes.delete(
        f"/{{{id_name}}}", status_code=status.HTTP_204_NO_CONTENT, name=f"delete_{c.singular}"
    )
    def delete_object(
        tenant_id: str, object_id: object_id_param, if_match: IfMatch = None
    ) -> Response:
        c.delete(tenant_id, object_id, expected_version(if_match))
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return routes
