"""A `requests` client of the provisioning API: timeouts, retries, typed errors.

Every call is retried with exponential backoff on 429 and 5xx answers and on connection
failures, honouring `Retry-After`. GET, PUT, DELETE and the license PATCH are idempotent
by nature; every POST carries an `Idempotency-Key` derived from its caller and content, so
a retried create (or one rerun after the process was killed mid-call) is applied once,
never duplicated.
"""

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from datetime import date
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import urlsplit

import requests
from pydantic import BaseModel, ValidationError
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import ReadTimeoutError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from ccprovider import contract
from ccprovider.api_errors import (
    ApiError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    error_class,
)
from ccprovider.bulk_assign import BulkAssignment, BulkAssignmentResult, assign_in_bulk
from ccprovider.contract import SIMULATOR_PREFIX, VENDOR_PREFIX, ErrorBody
from ccprovider.directory import DirectoryPerson
from ccprovider.domain import UsageRecord
from ccprovider.scim_contract import (
    BULK_MAX_OPERATIONS,
    BULK_REQUEST_SCHEMA,
    ScimBulkOperation,
    ScimBulkOperationResult,
    ScimBulkRequest,
    ScimBulkResponse,
    ScimList,
    ScimUser,
)
from ccprovider.vendor_contract import (
    LicenseRequest,
    LicensesPatch,
    LicensesPatchResult,
    PersonCollection,
    VendorLicense,
    VendorModel,
)
from ccprovider.vendor_users import (
    LicenseBook,
    Listed,
    holding,
    provider_user,
    scim_body,
    scim_patch,
)

SCIM_PREFIX = "/identity/scim"
"""The vendor's SCIM 2.0 paths: `/identity/scim/{orgId}/v2/Users`."""

DEFAULT_TIMEOUT = (5.0, 30.0)
"""Seconds to connect and to read one answer."""

_RETRIED_STATUSES = (429, 500, 502, 503, 504)
_RETRIED_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "POST", "PATCH"})
_KEYED_METHODS = frozenset({"POST"})
_UNAUTHORIZED, _FORBIDDEN = 401, 403
_CUT_ANSWER_RETRIES = 5

M = TypeVar("M", bound=BaseModel)


RETRIES = 8
"""How often a call is retried after its first try, on 429, 5xx and connection failures."""


_WAITING_READS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Calls whose answer timing out means the backend is still computing it."""


class _RetryPolicy(Retry):
    """urllib3's retries, except for a read call whose answer timed out: the backend took
    it and is still computing the answer (a month's billing over many records, say), and
    asking again would only start the same work a second time beside the first."""

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        if isinstance(error, ReadTimeoutError) and method in _WAITING_READS:
            raise error
        return super().increment(method, url, response, error, _pool, _stacktrace)


class AnswerTimeoutError(requests.exceptions.ReadTimeout):
    """The backend took a read call and did not answer within the read timeout; the call
    was not repeated. The message says so in one line, with what to do."""


def _retry_policy() -> Retry:
    return _RetryPolicy(
        total=RETRIES,
        connect=RETRIES,
        read=RETRIES,
        status=RETRIES,
        backoff_factor=0.1,
        backoff_max=5.0,
        status_forcelist=_RETRIED_STATUSES,
        allowed_methods=_RETRIED_METHODS,
        respect_retry_after_header=True,
        raise_on_status=False,
    )


def idempotency_key(method: str, url: str, body: Any, salt: str = "") -> str:
    """The same request from the same caller, the same key: a digest of the caller's salt,
    the method, the path and the canonical body."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    text = f"{salt} {method} {urlsplit(url).path} {canonical}"
    return hashlib.sha256(text.encode()).hexdigest()


def _api_error(response: requests.Response) -> ApiError:
    try:
        body = ErrorBody.model_validate_json(response.content)
    except ValidationError:
        text = response.text.strip()[:200] or response.reason
        body = ErrorBody(message=text, errors=[], tracking_id="")
    return error_class(response.status_code)(
        method=response.request.method or "?",
        path=urlsplit(response.request.url or "").path,
        status=response.status_code,
        message=body.message,
        details=[e.description for e in body.errors],
        tracking_id=body.tracking_id,
    )


def _scim_data(body: contract.UserBody) -> dict[str, Any]:
    """A user's SCIM create as a bulk operation's data."""
    return scim_body(body).model_dump(mode="json", by_alias=True, exclude_none=True)


def _read_environment_once(session: requests.Session, base_url: str) -> None:
    """Take the proxy and CA-bundle settings from the environment now, for the one backend
    this client talks to: requests reads the whole environment again on every request
    otherwise, a tenth of a request's time in a provider run by the engine."""
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle and session.verify is True:
        session.verify = bundle
    session.trust_env = False


class ProvisioningClient:
    """Typed calls of the provisioning API at `base_url`, with an optional bearer token."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._books: dict[str, LicenseBook] = {}
        self.session = session or requests.Session()
        _read_environment_once(self.session, self.base_url)
        adapter = HTTPAdapter(max_retries=_retry_policy())
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    # The generic calls every typed method is made of

    def call(
        self,
        method: str,
        path: str,
        *,
        body: BaseModel | None = None,
        if_match: int | str | None = None,
        salt: str = "",
        keyed: bool = True,
        **params: Any,
    ) -> requests.Response:
        """One API call; `path` is under the simulator's prefix unless it is a full URL or
        one of the vendor's paths (`/v1/people`, `/identity/...`). `salt`
        tells this caller's creates from another's with the same content; `keyed=False`
        sends a POST that is idempotent by itself without a key, so it is never replayed.
        `if_match` is a version of the simulator's, or an ETag as the vendor's SCIM gives it."""
        if path.startswith("http"):
            url = path
        elif path.startswith((VENDOR_PREFIX + "/", SCIM_PREFIX + "/")):
            url = f"{self.base_url}{path}"
        else:
            url = f"{self.base_url}{SIMULATOR_PREFIX}{path}"
        payload = (
            body.model_dump(mode="json", by_alias=True, exclude_none=isinstance(body, VendorModel))
            if body is not None
            else None
        )
        headers = {}
        if if_match is not None:
            headers["If-Match"] = if_match if isinstance(if_match, str) else f'"{if_match}"'

        if keyed and method in _KEYED_METHODS:
            headers["Idempotency-Key"] = idempotency_key(method, url, payload, salt)
        query = {k: v for k, v in params.items() if v is not None}
        response = self._send(method, url, json=payload, params=query or None, headers=headers)
        if response.status_code >= 400:
            raise _api_error(response)
        return response

    def _send(self, method: str, url: str, **request: Any) -> requests.Response:
        """One request, with urllib3's retries, asked again when its answer is cut off."""
        cut_off = 0
        while True:
            try:
                return self.session.request(method, url, timeout=self.timeout, **request)
            except requests.exceptions.ChunkedEncodingError:
                # The answer was cut off mid-body, which urllib3 does not retry; every call
                # is idempotent or keyed, so asking again is safe.
                cut_off += 1
                if cut_off > _CUT_ANSWER_RETRIES:
                    raise
            except requests.exceptions.ReadTimeout as timeout:
                raise AnswerTimeoutError(
                    f"{method} {urlsplit(url).path}: the backend at {self.base_url} gave no "
                    f"answer within {self.timeout[1]:g} s: it is still working on the call, "
                    "and asking again would start the same work a second time, so it was "
                    "not repeated. Fix: run the command again once the backend has finished; "
                    "if it keeps timing out, check the backend's load"
                ) from timeout

    def _object(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        return model.model_validate_json(self.call(method, path, **kwargs).content)

    def _get_or_none(self, model: type[M], path: str) -> M | None:
        try:
            return self._object(model, "GET", path)
        except NotFoundError:
            return None

    def _find(self, model: type[M], path: str, **params: Any) -> M | None:
        page = contract.Page[model].model_validate_json(  # type: ignore[valid-type]
            self.call("GET", path, **params).content
        )
        return page.items[0] if page.items else None

    def _pages(self, path: str, page_size: int, **params: Any) -> Iterator[bytes]:
        """Every page of a list, following the `Link: rel="next"` pages."""
        response = self.call("GET", path, max=page_size, **params)
        while True:
            yield response.content
            next_page = response.links.get("next", {}).get("url")
            if not next_page:
                return
            response = self.call("GET", next_page)

    def _all(self, model: type[M], path: str, page_size: int, **params: Any) -> Iterator[M]:
        """Every item of a list of the simulator's."""
        page_type = contract.Page[model]  # type: ignore[valid-type]
        for content in self._pages(path, page_size, **params):
            yield from page_type.model_validate_json(content).items

    def _delete(self, path: str, if_match: int | str | None = None) -> bool:
        """Delete; False when the object was already gone."""
        try:
            self.call("DELETE", path, if_match=if_match)
        except NotFoundError:
            return False
        return True

    # Tenants

    def create_tenant(self, body: contract.TenantBody, salt: str = "") -> contract.Tenant:
        """Create a tenant; a tenant of the same name already existing is a `ConflictError`."""
        return self._object(contract.Tenant, "POST", "/tenants", body=body, salt=salt)

    def get_tenant(self, tenant_id: str) -> contract.Tenant | None:
        """The tenant, or None when it does not exist."""
        return self._get_or_none(contract.Tenant, f"/tenants/{tenant_id}")

    def get_tenant_version(self, tenant_id: str) -> tuple[contract.Tenant, int]:
        """The tenant and its version (ETag), for a change conditional on it."""
        response = self.call("GET", f"/tenants/{tenant_id}")
        version = int(response.headers["ETag"].removeprefix("W/").strip('"'))
        return contract.Tenant.model_validate_json(response.content), version

    def find_tenant(self, name: str) -> contract.Tenant | None:
        """The tenant with this (unique) name, or None."""
        return self._find(contract.Tenant, "/tenants", name=name)

    def list_tenants(self, page_size: int = 100) -> Iterator[contract.Tenant]:
        return self._all(contract.Tenant, "/tenants", page_size)

    def replace_tenant(
        self, tenant_id: str, body: contract.TenantBody, if_match: int | None = None
    ) -> contract.Tenant:
        return self._object(
            contract.Tenant, "PUT", f"/tenants/{tenant_id}", body=body, if_match=if_match
        )

    def delete_tenant(self, tenant_id: str) -> bool:
        return self._delete(f"/tenants/{tenant_id}")

    # Subscriptions

    def create_subscription(
        self,
        tenant_id: str,
        body: contract.SubscriptionBody,
        if_match: int | None = None,
        salt: str = "",
    ) -> contract.Subscription:
        """Create a subscription; with `if_match`, only while the tenant has that version."""
        path = f"/tenants/{tenant_id}/subscriptions"
        self._books.pop(tenant_id, None)  # its licenses may take an old one's vendor ids
        return self._object(
            contract.Subscription, "POST", path, body=body, if_match=if_match, salt=salt
        )

    def get_subscription(self, tenant_id: str, sub_id: str) -> contract.Subscription | None:
        return self._get_or_none(
            contract.Subscription, f"/tenants/{tenant_id}/subscriptions/{sub_id}"
        )

    def find_subscription(self, tenant_id: str, external_id: str) -> contract.Subscription | None:
        return self._find(
            contract.Subscription, f"/tenants/{tenant_id}/subscriptions", externalId=external_id
        )

    def list_subscriptions(
        self, tenant_id: str, page_size: int = 100
    ) -> Iterator[contract.Subscription]:
        return self._all(contract.Subscription, f"/tenants/{tenant_id}/subscriptions", page_size)

    def replace_subscription(
        self,
        tenant_id: str,
        sub_id: str,
        body: contract.SubscriptionBody,
        if_match: int | None = None,
    ) -> contract.Subscription:
        path = f"/tenants/{tenant_id}/subscriptions/{sub_id}"
        return self._object(contract.Subscription, "PUT", path, body=body, if_match=if_match)

    def cancel_subscription(self, tenant_id: str, sub_id: str) -> contract.Subscription:
        path = f"/tenants/{tenant_id}/subscriptions/{sub_id}/cancel"
        return self._object(contract.Subscription, "POST", path)

    def delete_subscription(self, tenant_id: str, sub_id: str) -> bool:
        self._books.pop(tenant_id, None)  # its licenses' vendor ids may be a new one's
        return self._delete(f"/tenants/{tenant_id}/subscriptions/{sub_id}")

    # Users and their licenses, through the vendor's SCIM users, people and licenses

    def _scim(self, tenant_id: str, user_id: str = "") -> str:
        return f"{SCIM_PREFIX}/{tenant_id}/v2/Users" + (f"/{user_id}" if user_id else "")

    def license_book(self, tenant_id: str) -> LicenseBook:
        """The organisation's licenses, to name a user's by subscription and kind, as they
        are now; kept for `_book`."""
        page = contract.Page[VendorLicense].model_validate_json(
            self.call("GET", f"{VENDOR_PREFIX}/licenses", orgId=tenant_id).content
        )
        book = LicenseBook.of(page.items, self.list_subscriptions(tenant_id))
        self._books[tenant_id] = book
        return book

    def _book(
        self, tenant_id: str, ours: Iterable[str] = (), vendors: Iterable[str] = ()
    ) -> LicenseBook:
        """The organisation's licenses as last read, read again when they do not name every
        license in `ours` (as the provider names them) and `vendors` (vendor ids): a
        subscription this client did not order may have come since. This client's own
        subscription changes forget what was read."""
        kept = self._books.get(tenant_id)
        if (
            kept is not None
            and all(o in kept.to_vendor for o in ours)
            and all(v in kept.from_vendor for v in vendors)
        ):
            return kept
        return self.license_book(tenant_id)

    def _held(
        self, tenant_id: str, scim: ScimUser, book: LicenseBook | None = None
    ) -> contract.User:
        """The user SCIM shows, with the licenses people shows them holding."""
        found = PersonCollection.model_validate_json(
            self.call(
                "GET", f"{VENDOR_PREFIX}/people", orgId=tenant_id, email=scim.user_name
            ).content
        )
        held = found.items[0].licenses if found.items else []
        if not held:
            return provider_user(tenant_id, scim, [])
        return provider_user(
            tenant_id, scim, (book or self._book(tenant_id, vendors=held)).ours(held)
        )

    def create_user(
        self,
        tenant_id: str,
        body: contract.UserBody,
        salt: str = "",
        book: LicenseBook | None = None,
    ) -> contract.User:
        """Create the user through SCIM. A new user (201) holds no license yet; the answer
        of a create replayed after the user was changed (200) shows them as they are now,
        with the licenses people shows them holding."""
        response = self.call("POST", self._scim(tenant_id), body=scim_body(body), salt=salt)
        scim = ScimUser.model_validate_json(response.content)
        if response.status_code == 201:
            return provider_user(tenant_id, scim, [])
        return self._held(tenant_id, scim, book)

    def scim_bulk(
        self, tenant_id: str, operations: list[ScimBulkOperation]
    ) -> Iterator[list[ScimBulkOperationResult]]:
        """Apply SCIM operations through the bulk route, 100 to a request: each request's
        answers, in order, as it is answered. Each operation succeeds or fails on its own."""
        path = f"{SCIM_PREFIX}/{tenant_id}/v2/Bulk"
        for start in range(0, len(operations), BULK_MAX_OPERATIONS):
            chunk = operations[start : start + BULK_MAX_OPERATIONS]
            request = ScimBulkRequest(schemas=[BULK_REQUEST_SCHEMA], operations=chunk)
            yield self._object(ScimBulkResponse, "POST", path, body=request).operations

    def create_new_users(
        self, tenant_id: str, bodies: list[contract.UserBody]
    ) -> list[contract.User | None]:
        """Create users through SCIM's bulk route; each user as created, or None where
        their create did not simply make a new user (a refusal, or a replay that found them
        changed since), for the caller to create them on their own."""
        operations = [
            ScimBulkOperation(method="POST", path="/Users", bulk_id=str(n), data=_scim_data(body))
            for n, body in enumerate(bodies)
        ]
        answers = [
            answer for answered in self.scim_bulk(tenant_id, operations) for answer in answered
        ]
        return [
            provider_user(tenant_id, ScimUser.model_validate(answer.response), [])
            if answer.status == "201" and answer.response is not None
            else None
            for answer in answers
        ]

    def get_user(self, tenant_id: str, user_id: str) -> contract.User | None:
        scim = self._get_or_none(ScimUser, self._scim(tenant_id, user_id))
        return self._held(tenant_id, scim) if scim else None

    def find_user(self, tenant_id: str, email: str) -> contract.User | None:
        found = self.listed_user(tenant_id, email)
        return found.user if found else None

    def listed_user(
        self, tenant_id: str, email: str, book: LicenseBook | None = None
    ) -> Listed | None:
        """The user with this address as they are now, and their version; None if none."""
        found = self._object(
            ScimList, "GET", self._scim(tenant_id), filter=f'userName eq "{email}"', count=1
        )
        if not found.resources:
            return None
        scim = found.resources[0]
        held = self._held(tenant_id, scim, book)
        return Listed(held, scim.meta.version, DirectoryPerson.of(scim))

    def listed_users(
        self, tenant_id: str, page_size: int = 1000, book: LicenseBook | None = None
    ) -> Iterator[Listed]:
        """Every user of the tenant and their version: SCIM's pages, joined with people's
        (the licenses each holds) by e-mail address."""
        held = {
            person.emails[0]: person.licenses
            for content in self._pages(f"{VENDOR_PREFIX}/people", page_size, orgId=tenant_id)
            for person in PersonCollection.model_validate_json(content).items
        }
        vendor_ids = [v for licenses in held.values() for v in licenses]
        if book is None:
            book = self._book(tenant_id, vendors=vendor_ids) if vendor_ids else LicenseBook({}, {})
        start = 1
        while True:
            found = self._object(
                ScimList, "GET", self._scim(tenant_id), startIndex=start, count=page_size
            )
            for scim in found.resources:
                licenses = book.ours(held.get(scim.user_name, []))
                yield Listed.of(tenant_id, scim, licenses)
            start += found.items_per_page
            if not found.resources or start > found.total_results:
                return

    def list_users(self, tenant_id: str, page_size: int = 1000) -> Iterator[contract.User]:
        """Every user of the tenant."""
        return (listed.user for listed in self.listed_users(tenant_id, page_size))

    def list_managed_users(
        self, tenant_id: str, external_id: str, page_size: int = 1000
    ) -> Iterator[contract.User]:
        """The users that carry the mark `external_id`."""
        return (u for u in self.list_users(tenant_id, page_size) if u.external_id == external_id)

    def replace_user(
        self,
        tenant_id: str,
        user_id: str,
        body: contract.UserBody,
        version: str | None = None,
        book: LicenseBook | None = None,
    ) -> contract.User:
        """Change who the user is and whose they are (a SCIM PATCH of their contact-center
        role and `externalId`: names and whatever else was set elsewhere stay). A new agent
        profile switches their license to the same subscription's of that profile, so their
        licenses are read again after. With `version` (an ETag), only while they are
        that version: else `PreconditionFailedError`."""
        path = self._scim(tenant_id, user_id)
        scim = self._object(ScimUser, "PATCH", path, body=scim_patch(body), if_match=version)
        return self._held(tenant_id, scim, book)

    def delete_user(self, tenant_id: str, user_id: str, version: str | None = None) -> bool:
        """Delete the user (with `version`, only while they are that version); False when
        they were gone already."""
        return self._delete(self._scim(tenant_id, user_id), if_match=version)

    def change_licenses(
        self,
        tenant_id: str,
        user: contract.User,
        operations: list[contract.LicenseOperation],
        book: LicenseBook | None = None,
    ) -> tuple[contract.User, list[str]]:
        """Apply license operations (licenses named as the provider names them) in one
        license PATCH; the user after it, and why each operation that failed did, each
        license named by its name and subscription."""
        book = book or self._book(tenant_id, ours=[op.id for op in operations])
        unknown = [op.id for op in operations if op.id not in book.to_vendor]
        if unknown:
            return user, [f"license {', '.join(unknown)} is not offered by any subscription"]
        patch = LicensesPatch(
            email=user.email,
            org_id=tenant_id,
            licenses=[
                LicenseRequest(id=book.to_vendor[op.id], operation=op.operation)
                for op in operations
            ],
        )
        try:
            response = self.call("PATCH", f"{VENDOR_PREFIX}/licenses/users", body=patch)
        except (BadRequestError, ConflictError) as refused:  # none applied
            return user, [book.readable(refused.reason)]
        result = LicensesPatchResult.model_validate_json(response.content)
        errors = [book.readable(e.description) for e in result.errors or []]
        return holding(user, book.ours(result.licenses)), errors

    def bulk_assign(
        self, tenant_id: str, parts: list[BulkAssignment]
    ) -> list[BulkAssignmentResult]:
        """Apply users' parts, each on its own, through the vendor's calls (`bulk_assign`
        module); every part's outcome, in order."""
        return assign_in_bulk(self, tenant_id, parts)

    def check_access(self, tenant_id: str, email: str) -> contract.AccessCheck:
        return self._object(
            contract.AccessCheck, "GET", f"/tenants/{tenant_id}/access", email=email
        )

    # Partners

    def create_partner(
        self, tenant_id: str, body: contract.PartnerBody, salt: str = ""
    ) -> contract.Partner:
        path = f"/tenants/{tenant_id}/partners"
        return self._object(contract.Partner, "POST", path, body=body, salt=salt)

    def find_partner(self, tenant_id: str, org: str) -> contract.Partner | None:
        return self._find(contract.Partner, f"/tenants/{tenant_id}/partners", org=org)

    def get_partner(self, tenant_id: str, partner_id: str) -> contract.Partner | None:
        return self._get_or_none(contract.Partner, f"/tenants/{tenant_id}/partners/{partner_id}")

    def list_partners(self, tenant_id: str, page_size: int = 100) -> Iterator[contract.Partner]:
        return self._all(contract.Partner, f"/tenants/{tenant_id}/partners", page_size)

    def replace_partner(
        self,
        tenant_id: str,
        partner_id: str,
        body: contract.PartnerBody,
        if_match: int | None = None,
    ) -> contract.Partner:
        path = f"/tenants/{tenant_id}/partners/{partner_id}"
        return self._object(contract.Partner, "PUT", path, body=body, if_match=if_match)

    def delete_partner(self, tenant_id: str, partner_id: str) -> bool:
        return self._delete(f"/tenants/{tenant_id}/partners/{partner_id}")

    # Usage, billing and the clock

    def add_usage(self, tenant_id: str, records: list[UsageRecord]) -> contract.UsageAccepted:
        """Store usage records; each replaces any stored for its day, usage type and user,
        so the answer of a load repeated counts what it replaced (no replayed answer)."""
        batch = contract.UsageBatch(records=records)
        path = f"/tenants/{tenant_id}/usage"
        return self._object(contract.UsageAccepted, "POST", path, body=batch, keyed=False)

    def list_usage(
        self, tenant_id: str, period: str, page_size: int = 1000
    ) -> Iterator[UsageRecord]:
        return self._all(UsageRecord, f"/tenants/{tenant_id}/usage", page_size, period=period)

    def billing_summary(self, tenant_id: str, period: str) -> contract.BillingSummary:
        path = f"/tenants/{tenant_id}/billing"
        return self._object(contract.BillingSummary, "GET", path, period=period)

    def today(self) -> date:
        """The provisioning system's date, from the `Date` header of a light read: subscription
        status and remap deadlines follow its clock, not this machine's. Every answer is
        dated, so a client without a token (whose token is not known yet) reads the date
        from the refusal; a token that is refused fails here, before anything is planned."""
        response = self._send(
            "GET", f"{self.base_url}{SIMULATOR_PREFIX}/tenants", params={"max": 1}
        )
        tokenless = "Authorization" not in self.session.headers
        refused = response.status_code in (_UNAUTHORIZED, _FORBIDDEN)
        if response.status_code >= 400 and not (tokenless and refused):
            raise _api_error(response)
        if "Date" not in response.headers:
            raise _api_error(response)
        return parsedate_to_datetime(response.headers["Date"]).date()

    def clock(self) -> contract.ClockState:
        return self._object(contract.ClockState, "GET", "/admin/clock")

    def change_clock(self, change: contract.ClockChange) -> contract.ClockState:
        return self._object(contract.ClockState, "POST", "/admin/clock", body=change)
