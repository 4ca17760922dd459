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
    details: Sequence[str],
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
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
        headers={TRACKING_HEADER: tracking_id, **(headers or {})},
    )


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


def paged(request: Request, response: Response, page: PageOf[T], page_size: int) -> Page[T]:
    """The page's items, with a `Link: <...>; rel="next"` header when more follow."""
    if page.next_cursor is not None:
        url = request.url.include_query_params(max=page_size, start=page.next_cursor)
        response.headers["Link"] = f'<{url}>; rel="next"'
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

_TENANT_PATH = re.compile(r"^/v1/tenants/(?P<tenant>[^/]+)(?P<rest>/.*)?$")


@dataclass(frozen=True)
class AccessPolicy:
    """Bearer tokens and who each speaks for; no tokens means an open backend."""

    tokens: Mapping[str, Caller] | None = None

    def authorize(self, request: Request, partner_access: PartnerLookup) -> Caller | None:
        """The request's caller, or a refusal: 401 without a known token; 403 for anyone
        but a customer admin on admin routes, tenant creation and partner records; 403 for
        a partner on a tenant where its organisation holds no access, and for its writes
        where it holds read-only access. `partner_access(tenant_id, org)` reads the access."""
        if self.tokens is None:
            return None
        scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
        caller = self.tokens.get(token) if scheme.lower() == "bearer" else None
        if caller is None:
            raise UnauthorizedError(
                "A valid bearer token is required.",
                "Send `Authorization: Bearer <token>` with a token this backend knows.",
            )
        if caller.role is Role.CUSTOMER_ADMIN:
            return caller
        path, writes = request.url.path, request.method not in _SAFE_METHODS
        if path.startswith("/v1/admin"):
            raise ForbiddenError("Only a customer admin may use the backend's admin routes.")
        scoped = _TENANT_PATH.match(path)
        if scoped is None:
            if writes:
                raise ForbiddenError("Only a customer admin may create tenants.")
            return caller  # lists show the partner's tenants only
        tenant_id, org = scoped["tenant"], str(caller.org)
        access = partner_access(tenant_id, org)
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
        if writes and (scoped["rest"] or "").startswith("/partners"):
            raise ForbiddenError(
                "Partner access is granted by the customer: only a customer admin may add, "
                "change or approve partners.",
                "Use a customer admin's token for partner records.",
            )
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
