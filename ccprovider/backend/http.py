"""What every route shares: the vendor's error body, paging, ETags, auth and rate limiting."""

import json
import math
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Header, Query, Request, Response
from fastapi.responses import JSONResponse

from ccprovider.backend.errors import (
    BackendError,
    BadRequestError,
    ForbiddenError,
    TooManyRequestsError,
    UnauthorizedError,
)
from ccprovider.backend.service.common import PageOf, Versioned
from ccprovider.contract import ErrorBody, ErrorDetail, Page

TRACKING_HEADER = "TrackingID"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REQUEST_KEY = "idempotency_key"
"""Where on a request's state the `Idempotency` middleware leaves the request's key."""

T = TypeVar("T")
PartnerLookup = Callable[[str, str], str | None]
"""The access (`read_only`, `full_admin`) a partner organisation holds on a tenant, if any."""

PageSize = Annotated[int, Query(alias="max", ge=1, le=MAX_PAGE_SIZE)]
Cursor = Annotated[
    int, Query(ge=0, le=2**63 - 1, description="Opaque cursor from a `Link` header.")
]
ETAG_PATTERN = r'^(\*|(W/)?"[0-9]{1,18}")$'
IfMatch = Annotated[
    str | None,
    Header(pattern=ETAG_PATTERN, description="Apply only if the ETag still matches."),
]


def error_response(
    status_code: int,
    message: str,
    details: Sequence[str | ErrorDetail],
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The vendor's error body, with a fresh tracking id in the body and a header; an
    `errorCode` only on the details that carry one."""
    body = _error_body(message, details)
    return JSONResponse(
        body.model_dump(by_alias=True, exclude_none=True),
        status_code=status_code,
        headers={TRACKING_HEADER: body.tracking_id, **(headers or {})},
    )


def _error_body(message: str, details: Sequence[str | ErrorDetail]) -> ErrorBody:
    return ErrorBody(
        message=message,
        errors=[d if isinstance(d, ErrorDetail) else ErrorDetail(description=d) for d in details],
        tracking_id=str(uuid.uuid4()),
    )


def error_body(error: BackendError) -> ErrorBody:
    """The vendor's body of a refusal, with a fresh tracking id: a bulk operation's answer."""
    return _error_body(error.message, error.details)


def refusal(error: BackendError) -> JSONResponse:
    """The answer to a refused request: its status and the vendor's body, with
    `Retry-After` when the error says when to try again."""
    headers = {} if error.retry_after is None else {"Retry-After": str(error.retry_after)}
    return error_response(error.status, error.message, error.details, headers)


def request_key(request: Request) -> str | None:
    """The idempotency key the `Idempotency` middleware scoped for this request, or None
    when the request carries none: a create passes it on to recognize its own retry."""
    key = getattr(request.state, REQUEST_KEY, None)
    return key if isinstance(key, str) else None


def link_next(request: Request, response: Response, **params: int) -> None:
    """Point the `Link: <...>; rel="next"` header at this request's URL with `params`."""
    url = request.url.include_query_params(**params)
    response.headers["Link"] = f'<{url}>; rel="next"'


def paged(request: Request, response: Response, page: PageOf[T], page_size: int) -> Page[T]:
    """The page's items, with a `Link: <...>; rel="next"` header when more follow."""
    if page.next_cursor is not None:
        link_next(request, response, max=page_size, start=page.next_cursor)
    return Page(items=page.items)


def versioned(response: Response, result: Versioned[T]) -> T:
    """The object, with its version as the `ETag` header."""
    response.headers["ETag"] = f'"{result.version}"'
    return result.value


def expected_version(if_match: str | None) -> int | None:
    """The version an `If-Match` header names; None when absent or `*`."""
    if if_match is None or if_match.strip() == "*":
        return None
    try:
        return int(if_match.strip().removeprefix("W/").strip('"'))
    except ValueError:
        raise BadRequestError(f"If-Match {if_match!r} is not an ETag of this API.") from None


class Role(StrEnum):
    """What a bearer token speaks for."""

    CUSTOMER_ADMIN = "customer_admin"
    PARTNER = "partner"


@dataclass(frozen=True)
class Caller:
    """Who a token speaks for: a customer admin, or a partner organisation (`org`), which
    acts only on the tenants where it holds partner access, within that access."""

    role: Role
    org: str | None = None

    @classmethod
    def of(cls, entry: Any) -> "Caller":
        """A tokens-file entry: a customer role as a string, or a partner as
        `{"role": "partner", "org": "<org>"}`."""
        if isinstance(entry, str) and entry == Role.CUSTOMER_ADMIN:
            return cls(Role.CUSTOMER_ADMIN)
        if isinstance(entry, Mapping) and entry.get("role") == Role.PARTNER and entry.get("org"):
            return cls(Role.PARTNER, str(entry["org"]))
        raise ValueError(
            f'{entry!r} is not a role: use "customer_admin" or '
            '{"role": "partner", "org": "<org>"} (partner tokens name their organisation)'
        )


CALLER = "caller"
"""Where on a request's state the `Authorize` middleware leaves the request's `Caller`."""

_TENANT_PATH = re.compile(r"^/v1/simulator/tenants/(?P<tenant>[^/]+)(?P<rest>/.*)?$")
_VENDOR_PATH = re.compile(r"^/v1/(licenses|people|organizations|partner)(/|$)|^/identity/")
"""The routes that follow the vendor's own API: they name an organisation in a path, a
query, a body or an id, so each route finds it and then calls `refuse_partner`."""

API_PREFIXES = ("/v1/", "/identity/")
"""Where the API's routes live (the vendor's SCIM routes under `/identity/`); what is
outside, the schema and the docs, needs no token."""


def is_api_path(path: str) -> bool:
    """Whether `path` is one of the API's: checked, limited and logged by the middleware."""
    return path.startswith(API_PREFIXES)


def is_safe(method: str) -> bool:
    """Whether a request of `method` only reads."""
    return method in _SAFE_METHODS


def refuse_partner(
    caller: Caller, tenant_id: str, access: str | None, *, writes: bool, grants: bool = False
) -> None:
    """Refuse (403) a partner on a tenant where its organisation holds no `access`, its
    writes where it holds read-only access, and any grant of partner access (`grants`),
    which only the customer gives."""
    org = str(caller.org)
    if access is None:
        raise ForbiddenError(
            f"Partner {org} holds no access to tenant {tenant_id}.",
            "Ask the tenant's customer admin to grant your organisation partner access.",
        )
    if writes and access != "full_admin":
        raise ForbiddenError(
            "Read-only partner access cannot change anything.",
            "Ask a customer admin to approve full admin access for your organisation.",
        )
    if writes and grants:
        raise ForbiddenError(
            "Partner access is granted by the customer: only a customer admin may add, "
            "change or approve partners.",
            "Use a customer admin's token for partner records.",
        )


@dataclass(frozen=True)
class AccessPolicy:
    """Bearer tokens and who each speaks for; no tokens means an open backend."""

    tokens: Mapping[str, Caller] | None = None

    def authorize(self, request: Request, partner_access: PartnerLookup) -> Caller | None:
        """The request's caller, or a refusal: 401 without a known token; 403 for anyone
        but a customer admin on admin routes, tenant creation and partner records; 403 for
        a partner on a tenant where its organisation holds no access, and for its writes
        where it holds read-only access. `partner_access(tenant_id, org)` reads the access.
        The vendor's routes check a partner once they know the organisation."""
        if self.tokens is None:
            return None
        scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
        caller = self.tokens.get(token) if scheme.lower() == "bearer" else None
        if caller is None:
            raise UnauthorizedError(
                "A valid bearer token is required.",
                "Send `Authorization: Bearer <token>` with a token this backend knows.",
            )
        path, writes = request.url.path, not is_safe(request.method)
        if caller.role is Role.CUSTOMER_ADMIN or _VENDOR_PATH.match(path):
            return caller
        if path.startswith("/v1/simulator/admin"):
            raise ForbiddenError("Only a customer admin may use the backend's admin routes.")
        scoped = _TENANT_PATH.match(path)
        if scoped is None:
            if writes:
                raise ForbiddenError("Only a customer admin may create tenants.")
            return caller  # lists show the partner's tenants only
        tenant_id = scoped["tenant"]
        grants = (scoped["rest"] or "").startswith("/partners")
        access = partner_access(tenant_id, str(caller.org))
        refuse_partner(caller, tenant_id, access, writes=writes, grants=grants)
        return caller


def load_policy(tokens_file: Path) -> AccessPolicy:
    """The policy of a tokens file: a JSON object mapping each bearer token to its caller
    ("customer_admin", or {"role": "partner", "org": "<org>"}). A ValueError names the file
    and what is wrong with it."""
    try:
        raw = json.loads(tokens_file.read_text())
        return AccessPolicy({str(token): Caller.of(entry) for token, entry in raw.items()})
    except (OSError, ValueError, AttributeError) as error:
        raise ValueError(f"cannot read tokens from {tokens_file}: {error}") from error


@dataclass
class RateLimiter:
    """A token bucket per client address: `per_second` requests on average, bursts of as
    many (at least one). Zero turns limiting off."""

    per_second: float = 0.0
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def admit(self, client: str) -> None:
        """Take a token for a request of `client` (its address), or raise
        `TooManyRequestsError` with the seconds until the next one."""
        if self.per_second <= 0:
            return
        capacity = max(1.0, self.per_second)
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (capacity, now))
            tokens = min(capacity, tokens + (now - last) * self.per_second)
            if tokens < 1:
                self._buckets[client] = (tokens, now)
                raise TooManyRequestsError(math.ceil((1 - tokens) / self.per_second))
            self._buckets[client] = (tokens - 1, now)


def describe_validation_error(error: Mapping[str, Any]) -> str:
    """`field.path: message` for one pydantic error of a request (a rule's own words
    without pydantic's "Value error, " before them)."""
    location = ".".join(str(part) for part in error["loc"] if part not in ("body", "query"))
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{location}: {message}" if location else message
