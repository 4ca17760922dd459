"""Wire models of the provisioning API, shared by the client and the mock backend.

One contract in one place: the backend validates requests with these models and the
client parses responses with them, so the two can never drift apart.
"""

from datetime import datetime

from pydantic import ConfigDict

from ccprovider.domain import CamelModel, TenantSettings

API_PREFIX = "/v1"


class TenantBody(TenantSettings):
    """What a client sends to create or replace a tenant."""


class Tenant(TenantBody):
    """A tenant as the backend returns it."""

    model_config = ConfigDict(extra="ignore")

    id: str
    created_at: datetime
    updated_at: datetime


class TenantList(CamelModel):
    """One page of tenants; the next page's URL is in the `Link` header."""

    items: list[Tenant]


class ErrorDetail(CamelModel):
    """One entry of an error body's `errors` list."""

    description: str


class ErrorBody(CamelModel):
    """The vendor's error body: a message, its details and a tracking id for support."""

    message: str
    errors: list[ErrorDetail]
    tracking_id: str
