"""Wire models of the provisioning API, shared by the client and the mock backend.

One contract in one place: the backend validates requests with these models and the
client parses responses with them, so the two can never drift apart. Request bodies
build on the owner-controlled models of `ccprovider.domain`; responses add what the
backend computes.
"""

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

from ccprovider.domain import (
    STORABLE,
    CamelModel,
    Count,
    Email,
    LicenseKind,
    LicenseModel,
    PartnerAccess,
    SubscriptionStatus,
    SubscriptionTerms,
    Telephony,
    TenantSettings,
    Text,
    UsageRecord,
    UsageType,
    UserIdentity,
)

VENDOR_PREFIX = "/v1"
"""Where the vendor's REST routes live (people, licenses, organizations); its SCIM routes
live under `/identity/scim`."""
SIMULATOR_PREFIX = "/v1/simulator"
"""Where the simulator's own routes live: what the vendor publishes no API for (tenants,
subscriptions, partners, usage, billing, access checks, the clock)."""


class Stored(CamelModel):
    """Fields the backend adds to every object it stores. Responses ignore fields they do
    not know, so that a newer backend does not break an older client."""

    model_config = ConfigDict(extra="ignore")

    id: str
    created_at: datetime
    updated_at: datetime


ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=512), STORABLE]
"""A provisioning client's own mark on an object, as SCIM's `externalId` on a user. Long
enough for ccprovider's marks: a project and a stack name (100 characters each at most), the
state's id and the longest e-mail address (254)."""


class Managed(CamelModel):
    """The simulator's addition to the vendor's tenant, subscription and partner: the mark of
    the client that manages the object (ccprovider: the stack state), as a user carries its
    manager's in `externalId`. A replace without it leaves the object unmanaged."""

    managed_by: ExternalId | None = None


# Tenants


class TenantBody(TenantSettings, Managed):
    """What a client sends to create or replace a tenant."""


class Tenant(TenantBody, Stored):
    """A tenant, with what its subscriptions decide for it."""

    model_config = ConfigDict(extra="ignore")

    telephony: Telephony | None = None
    license_model: LicenseModel | None = None
    primary_subscription: str | None = None


# Subscriptions


class SubscriptionBody(SubscriptionTerms, Managed):
    """What a client sends to create or replace a subscription."""


class Subscription(SubscriptionBody, Stored):
    """A subscription, with its computed end, status on the backend's clock and primacy."""

    model_config = ConfigDict(extra="ignore")

    tenant_id: str
    end_date: date
    status: SubscriptionStatus
    cancelled: bool
    is_primary: bool


# Users, licenses and access


class UserBody(UserIdentity):
    """What a client sends to create or replace a user; the e-mail is the natural key.
    `externalId` is the client's mark on the user (ccprovider: which resource manages it)."""

    external_id: ExternalId | None = None


class User(UserBody, Stored):
    """A user and the licenses they hold (at most one contact-center subscription)."""

    model_config = ConfigDict(extra="ignore")

    tenant_id: str
    licenses: list[str]
    subscription_id: str | None = None


def license_id(subscription_id: str, kind: LicenseKind) -> str:
    """A license's id: its subscription's id and its kind."""
    return f"{subscription_id}:{kind.value}"


class LicenseOperationKind(StrEnum):
    """What a license PATCH does with one license."""

    ADD = "add"
    REMOVE = "remove"


class LicenseOperation(CamelModel):
    """One license to add to or remove from the user."""

    id: Text
    operation: LicenseOperationKind


class LicenseOperationResult(LicenseOperation):
    """The outcome of one operation of a license PATCH."""

    status: Literal["ok", "error"]
    description: str | None = None


class AccessCheck(CamelModel):
    """Whether a user can use the contact center now, and through which subscription."""

    email: Email
    has_access: bool
    subscription_id: str | None
    external_id: str | None
    reason: str


# Partners


class PartnerBody(PartnerAccess, Managed):
    """What a client sends to add a partner organisation or change its access."""


class Partner(PartnerBody, Stored):
    """A partner organisation's access to the tenant."""

    model_config = ConfigDict(extra="ignore")

    tenant_id: str


# Usage and billing


class UsageBatch(CamelModel):
    """Usage records to load, for example from a CSV export."""

    records: Annotated[list[UsageRecord], Field(min_length=1, max_length=10_000)]


class UsageAccepted(CamelModel):
    """How many records a usage batch stored, and how many of them replaced a record stored
    earlier for the same day, usage type and user."""

    accepted: int
    replaced: int = 0


class SubscriptionBilling(CamelModel):
    """One subscription's part of a billing period: its term, its status and primacy at
    the period's end, and its peak daily usage."""

    external_id: str
    start: date
    end_date: date
    status: SubscriptionStatus
    is_primary: bool
    usage: dict[UsageType, int]


class OverageLine(CamelModel):
    """One usage type's tenant-wide usage against its pool, and who pays the overage."""

    usage_type: UsageType
    used: int
    pooled: int
    overage: int
    charged_to: str | None


class BillingSummary(CamelModel):
    """A tenant's usage and overage for one month."""

    period: str
    primary_subscription: str | None
    pooled_entitlements: dict[UsageType, int]
    subscriptions: list[SubscriptionBilling]
    unallocated: dict[UsageType, int]
    overage: list[OverageLine]


# The simulated clock


class ClockState(CamelModel):
    """The backend's simulated time."""

    now: datetime
    today: date


_CLOCK_RANGE = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2999, 12, 31, tzinfo=UTC))


def _simulated_time(value: datetime) -> datetime:
    """`value` in UTC (naive means UTC), within the range the simulated clock can show."""
    low, high = _CLOCK_RANGE
    try:
        utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    except OverflowError:
        utc = low - timedelta(days=1)
    if not low <= utc <= high:
        raise ValueError(f"the simulated clock runs from {low.date()} to {high.date()}")
    return utc


class ClockChange(CamelModel):
    """Move the simulated clock forward by some days, or to a given time."""

    advance_days: Annotated[Count, Field(ge=0, le=36_500)] | None = None
    now: Annotated[datetime, AfterValidator(_simulated_time)] | None = None


# Lists and errors


T = TypeVar("T")


class Page(CamelModel, Generic[T]):
    """One page of a list; the next page's URL is in the `Link` header."""

    items: list[T]


class ErrorDetail(CamelModel):
    """One entry of an error body's `errors` list; `errorCode`, where the vendor gives one."""

    description: str
    error_code: int | None = None


class ErrorBody(CamelModel):
    """The vendor's error body: a message, its details and a tracking id for support."""

    message: str
    errors: list[ErrorDetail]
    tracking_id: str
