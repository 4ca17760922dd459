"""A `requests` client of the provisioning API: timeouts, retries of safe calls, typed errors.

Idempotent calls (GET, PUT, DELETE) are retried with exponential backoff on 429 and 5xx
answers and on connection failures, honouring `Retry-After`. A create (POST) is never
replayed blindly: callers look the object up by its natural key instead.
"""

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import requests
from pydantic import BaseModel, ValidationError
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ccprovider.contract import API_PREFIX, ErrorBody, Tenant, TenantBody, TenantList

DEFAULT_TIMEOUT = (5.0, 30.0)
"""Seconds to connect and to read one answer."""

_RETRIED_STATUSES = (429, 500, 502, 503, 504)
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


class ApiError(Exception):
    """The API refused a call: what was called, the status, the vendor's message and tracking id."""

    def __init__(
        self,
        *,
        method: str,
        path: str,
        status: int,
        message: str,
        details: list[str],
        tracking_id: str,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        self.details = details
        self.tracking_id = tracking_id
        extra = [d for d in details if d != message]
        text = f"{method} {path} answered {status}: {message}"
        if extra:
            text += " " + " ".join(extra)
        if tracking_id:
            text += f" (trackingId {tracking_id})"
        super().__init__(text)


def _retry_policy() -> Retry:
    return Retry(
        total=5,
        connect=5,
        read=3,
        status=5,
        backoff_factor=0.2,
        backoff_max=10.0,
        status_forcelist=_RETRIED_STATUSES,
        allowed_methods=_IDEMPOTENT_METHODS,
        respect_retry_after_header=True,
        raise_on_status=False,
    )


def _api_error(response: requests.Response) -> ApiError:
    try:
        body = ErrorBody.model_validate_json(response.content)
    except ValidationError:
        text = response.text.strip()[:200] or response.reason
        body = ErrorBody(message=text, errors=[], tracking_id="")
    return ApiError(
        method=response.request.method or "?",
        path=urlsplit(response.request.url or "").path,
        status=response.status_code,
        message=body.message,
        details=[e.description for e in body.errors],
        tracking_id=body.tracking_id,
    )


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
        self.session = session or requests.Session()
        adapter = HTTPAdapter(max_retries=_retry_policy())
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def _call(
        self, method: str, path: str, *, body: BaseModel | None = None, **params: Any
    ) -> requests.Response:
        url = path if path.startswith("http") else f"{self.base_url}{API_PREFIX}{path}"
        json = body.model_dump(mode="json", by_alias=True) if body is not None else None
        response = self.session.request(
            method, url, json=json, params=params or None, timeout=self.timeout
        )
        if response.status_code >= 400:
            raise _api_error(response)
        return response

    def create_tenant(self, body: TenantBody) -> Tenant:
        """Create a tenant; a tenant of the same name already existing is an `ApiError` 409."""
        return Tenant.model_validate_json(self._call("POST", "/tenants", body=body).content)

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        """The tenant, or None when it does not exist."""
        try:
            return Tenant.model_validate_json(self._call("GET", f"/tenants/{tenant_id}").content)
        except ApiError as error:
            if error.status == 404:
                return None
            raise

    def find_tenant(self, name: str) -> Tenant | None:
        """The tenant with this (unique) name, or None."""
        page = TenantList.model_validate_json(self._call("GET", "/tenants", name=name).content)
        return page.items[0] if page.items else None

    def list_tenants(self, page_size: int = 100) -> Iterator[Tenant]:
        """Every tenant, following the `Link: rel="next"` pages."""
        response = self._call("GET", "/tenants", max=page_size)
        while True:
            yield from TenantList.model_validate_json(response.content).items
            next_page = response.links.get("next", {}).get("url")
            if not next_page:
                return
            response = self._call("GET", next_page)

    def replace_tenant(self, tenant_id: str, body: TenantBody) -> Tenant:
        """Replace the tenant's fields with `body`."""
        return Tenant.model_validate_json(
            self._call("PUT", f"/tenants/{tenant_id}", body=body).content
        )

    def delete_tenant(self, tenant_id: str) -> bool:
        """Delete the tenant; False when it was already gone."""
        try:
            self._call("DELETE", f"/tenants/{tenant_id}")
        except ApiError as error:
            if error.status == 404:
                return False
            raise
        return True
