"""Wire models of the provisioning API, shared by the client and the mock backend.

One contract in one place: the backend validates requests with these models and the
client parses responses with them, so the two can never drift apart. Request bodies
build on the owner-controlled models of `ccprovider.domain`; responses add what the
backend computes.
"""

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Generic, Literal, Self, TypeVar

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, model_validator

from ccprovider.domain import (
    STORABLE,
    AgentProfile,
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
    UserRole,
)

API_PREFIX = "/v1"


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


class License(CamelModel):
    """One license of one subscription; consumed units may exceed total (overage)."""

    id: str
    kind: LicenseKind
    subscription_id: str
    external_id: str
    total_units: int | None
    consumed_units: int


class LicenseOperationKind(StrEnum):
    """What a license PATCH does with one license."""

    ADD = "add"
    REMOVE = "remove"


class LicenseOperation(CamelModel):
    """One license to add to or remove from the user."""

    id: Text
    operation: LicenseOperationKind


class LicensePatch(CamelModel):
    """Assign and unassign licenses of one user in one request."""

    email: Email
    licenses: Annotated[list[LicenseOperation], Field(min_length=1, max_length=20)]


class LicenseOperationResult(LicenseOperation):
    """The outcome of one operation of a license PATCH."""

    status: Literal["ok", "error"]
    description: str | None = None


class LicensePatchResult(CamelModel):
    """The outcome of a license PATCH: 200 when every operation succeeded, 206 otherwise."""

    user: User
    licenses: list[LicenseOperationResult]


class BulkAction(StrEnum):
    """What a bulk assignment does with one user."""

    ASSIGN = "assign"
    """Create the user if missing, set who they are and give them exactly one license."""
    RELEASE = "release"
    """Take away every license and re-mark the user, only while they carry `ifExternalId`."""
    DELETE = "delete"
    """Delete the user, only while they carry `ifExternalId`."""


class BulkAssignment(CamelModel):
    """One user's part of a bulk assignment. Preconditions make each part safe to repeat and
    safe against another manager: `ifExternalIdPrefix` (assign: an existing user must carry
    a mark with this prefix) and `ifExternalId` (release, delete: the user must carry it)."""

    action: BulkAction
    email: Email
    role: UserRole | None = None
    agent_profile: AgentProfile | None = None
    external_id: ExternalId | None = None
    license: Text | None = None
    if_external_id: ExternalId | None = None
    if_external_id_prefix: ExternalId | None = None
    or_unmarked: bool = False
    """With `if_external_id_prefix`, assign also a user who carries no mark at all."""

    @model_validator(mode="after")
    def _fields_fit_the_action(self) -> Self:
        if self.action is BulkAction.ASSIGN and (self.role is None or self.license is None):
            raise ValueError(f"assign {self.email}: role and license are required")
        if self.action is not BulkAction.ASSIGN and self.if_external_id is None:
            raise ValueError(f"{self.action.value} {self.email}: ifExternalId is required")
        return self

    def identity(self) -> UserBody:
        """The user an assignment declares."""
        return UserBody(
            email=self.email,
            role=self.role,
            agent_profile=self.agent_profile,
            external_id=self.external_id,
        )


class BulkAssignmentBatch(CamelModel):
    """Up to 1,000 users' assignments in one request; each user's part applies on its own."""

    users: Annotated[list[BulkAssignment], Field(min_length=1, max_length=1000)]


BulkStatus = Literal["created", "updated", "deleted", "skipped", "error"]


class BulkAssignmentResult(CamelModel):
    """The outcome of one user's part: `skipped` when its precondition did not hold (someone
    else manages the user now, or the user is gone), `error` with the reason when refused."""

    email: Email
    action: BulkAction
    status: BulkStatus
    description: str | None = None
    previous_external_id: str | None = None
    user: User | None = None


class BulkAssignmentOutcome(CamelModel):
    """The outcome of a bulk assignment: 200 when no part failed, 206 otherwise."""

    users: list[BulkAssignmentResult]


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
