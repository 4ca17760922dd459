"""The shared vocabulary of the contact-center domain: value types used by every layer.

The models here describe what an owner controls (a tenant's settings, a subscription's
terms, a user's license mapping, a partner's access). `rules` computes everything else
from them; the spec, the API contract and the providers build on them.
"""

import calendar
import unicodedata
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    model_validator,
)
from pydantic.alias_generators import to_camel


class Offer(StrEnum):
    """The Webex Contact Center offer; Flex and Flex 3 both support several subscriptions."""

    FLEX = "flex"
    FLEX3 = "flex3"


class LicenseModel(StrEnum):
    """How a subscription counts agents; one model per tenant."""

    CONCURRENT = "concurrent"
    NAMED = "named"


class Telephony(StrEnum):
    """The tenant's telephony option, that of its subscriptions in force."""

    WEBEX_CALLING = "webex_calling"
    PSTN_BUNDLED = "pstn_bundled"
    VPOP = "vpop"


class SubscriptionStatus(StrEnum):
    """Where a subscription is in its life on a given day."""

    PENDING = "pending"
    ACTIVE = "active"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class UsageType(StrEnum):
    """What a subscription entitles and what usage is measured in."""

    STANDARD_AGENT = "standard_agent"
    PREMIUM_AGENT = "premium_agent"
    SUPERVISOR = "supervisor"
    IVR_PORT = "ivr_port"
    WEBEX_CONNECT = "webex_connect"
    WFO = "wfo"
    AI_AGENT = "ai_agent"
    IVR_OUTBOUND_CAMPAIGN = "ivr_outbound_campaign"

    @property
    def is_add_on(self) -> bool:
        """Add-ons pool among the subscriptions that include them (domain rule 3)."""
        return self in _ADD_ONS


_ADD_ONS = frozenset({UsageType.WFO, UsageType.AI_AGENT, UsageType.IVR_OUTBOUND_CAMPAIGN})


class UserRole(StrEnum):
    """What a user does in the contact center; every role needs a subscription mapping."""

    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    AGENT = "agent"


class AgentProfile(StrEnum):
    """An agent's license tier."""

    STANDARD = "standard"
    PREMIUM = "premium"


class LicenseKind(StrEnum):
    """The contact-center license a role needs; each subscription offers one of each."""

    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    STANDARD_AGENT = "standard-agent"
    PREMIUM_AGENT = "premium-agent"


class PartnerAccessLevel(StrEnum):
    """A partner organisation's provisioning-admin access to the tenant."""

    READ_ONLY = "read_only"
    FULL_ADMIN = "full_admin"


class BillingCycle(StrEnum):
    """How often a subscription is invoiced."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"


PATTERN_MEANINGS: dict[str, str] = {}
"""What each name pattern accepts, in words, for error messages that show no regex."""


def _name(
    pattern: str, max_length: int, meaning: str, min_length: int = 1, lower: bool = False
) -> StringConstraints:
    PATTERN_MEANINGS[pattern] = meaning
    return StringConstraints(
        strip_whitespace=True,
        to_lower=lower,
        min_length=min_length,
        max_length=max_length,
        pattern=pattern,
    )


_SLUG_MEANING = "made of lower-case letters, digits and inner hyphens"
TenantName = Annotated[
    str, _name(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", 63, _SLUG_MEANING, min_length=3)
]
"""A tenant's unique name: 3 to 63 lower-case letters, digits and inner hyphens."""

SubscriptionId = Annotated[
    str,
    _name(
        r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        64,
        "made of letters, digits, '.', '_' and '-', starting with a letter or digit",
    ),
]
"""A subscription's external id, as on the vendor's order (for example SUB-CORE-001)."""


def _email_address(value: Any) -> Any:
    """A declared e-mail address as the one form users are compared in (see
    `ccprovider.emails.normalized_email`); the str type refuses what is not a string."""
    if not isinstance(value, str):
        return value  # the str type refuses it, in its own words
    from ccprovider import emails  # noqa: PLC0415 - its libraries load on first use

    return emails.normalized_email(value)


def email_key(value: str) -> str:
    """The form users are compared and looked up in, for any string (a lookup may name an
    address that is not valid): the normalized address, else the string NFKC-normalized
    and case-folded."""
    try:
        normalized: str = _email_address(value)
    except ValueError:
        return unicodedata.normalize("NFKC", value.strip()).casefold()
    return normalized


def email_skeleton(address: str) -> str:
    """The Unicode TR39 skeleton of a normalized address: two addresses with one skeleton
    read the same (`paypa1@` and `paypal@`, `rn` and `m`, a Cyrillic and a Latin `a`)."""
    from ccprovider import emails  # noqa: PLC0415 - ICU loads on first use

    return emails.skeleton(address)


Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(_email_address)]
"""A user's e-mail address, the natural key of a user: one normalized form per address, so
that addresses which only look different are one user."""

_SLUG = _name(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", 63, _SLUG_MEANING)

OrgName = Annotated[str, _SLUG]
"""A partner organisation's identifier."""

TeamName = Annotated[str, _SLUG]
"""A team of users whose license assignments one resource manages in bulk."""


def _storable(value: Any) -> Any:
    """`value`, if the provisioning system can store it: no NUL character and no lone
    surrogate (half of a UTF-16 pair, which no UTF-8 text can hold). The declaration and
    the backend's API share this rule, so a declaration is refused whole at preview rather
    than half-applied when the backend refuses one value. Not a string: the str type
    refuses it, in its own words."""
    for char in value if isinstance(value, str) else "":
        if char == "\x00":
            raise ValueError("holds the NUL character (\\u0000), which cannot be stored: remove it")
        if "\ud800" <= char <= "\udfff":
            raise ValueError(
                f"holds a lone surrogate (\\u{ord(char):04x}), which is no character and "
                "cannot be stored: remove it"
            )
    return value


STORABLE = BeforeValidator(_storable)
"""The check of `_storable`, before a string type's own (which cannot say why)."""

Text = Annotated[str, STORABLE]
"""Free text the provisioning system stores as it is given."""

Department = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), STORABLE
]
"""The department that buys and owns a subscription."""


class CamelModel(BaseModel):
    """Base of models read from YAML or JSON: camelCase keys outside, snake_case in Python,
    unknown keys refused so that a typo is an error rather than a silent default."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class TenantSettings(CamelModel):
    """The settings of a tenant that its owner controls; each can change in place."""

    name: TenantName
    offer: Offer
    hybrid: StrictBool = False


ContractDate = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2999, 12, 31))]
"""A day a contract or its usage can fall on."""


def _not_a_boolean(value: Any) -> Any:
    """Refuse true/false where a number belongs (pydantic would read true as 1)."""
    if isinstance(value, bool):
        raise ValueError("expected a whole number, not true or false")
    return value


Count = Annotated[int, BeforeValidator(_not_a_boolean)]
"""A whole number, never a boolean in disguise; whole-valued floats (as the engine sends
numbers) are accepted."""

Units = Annotated[Count, Field(ge=0, le=1_000_000)]
"""A count of licenses, ports or messages: never negative, never absurd."""


class Entitlements(CamelModel):
    """Units a subscription includes, per usage type; absent types include none."""

    standard_agents: Units = 0
    premium_agents: Units = 0
    supervisors: Units = 0
    ivr_ports: Units = 0
    webex_connect: Units = 0
    wfo: Units = 0
    ai_agents: Units = 0
    ivr_outbound_campaigns: Units = 0

    def units(self, usage_type: UsageType) -> int:
        """The units included of `usage_type`."""
        value: int = getattr(self, _ENTITLEMENT_FIELDS[usage_type])
        return value


_ENTITLEMENT_FIELDS = {
    UsageType.STANDARD_AGENT: "standard_agents",
    UsageType.PREMIUM_AGENT: "premium_agents",
    UsageType.SUPERVISOR: "supervisors",
    UsageType.IVR_PORT: "ivr_ports",
    UsageType.WEBEX_CONNECT: "webex_connect",
    UsageType.WFO: "wfo",
    UsageType.AI_AGENT: "ai_agents",
    UsageType.IVR_OUTBOUND_CAMPAIGN: "ivr_outbound_campaigns",
}


class Billing(CamelModel):
    """A subscription's own billing preferences."""

    cycle: BillingCycle = BillingCycle.ANNUAL
    purchase_order: Annotated[str, StringConstraints(max_length=64), STORABLE] | None = None


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the end of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class SubscriptionOrder(CamelModel):
    """What one subscription's order says: its own term, billing and entitlements. Add a
    subscription field here: the spec, the API, the backend and the provider all build on it."""

    external_id: SubscriptionId
    department: Department
    license_model: LicenseModel
    start: ContractDate
    term_months: Count = Field(ge=1, le=120)
    entitlements: Entitlements = Field(default_factory=Entitlements)
    billing: Billing = Field(default_factory=Billing)

    @property
    def end(self) -> date:
        """The first day the subscription is no longer active."""
        return add_months(self.start, self.term_months)


class SubscriptionTerms(SubscriptionOrder):
    """Everything an owner declares about one subscription: its order, with the offer and
    telephony option it is provisioned with."""

    offer: Offer
    telephony: Telephony


class Subscription(SubscriptionTerms):
    """A provisioned subscription: its terms plus whether it was cancelled."""

    cancelled: bool = False


class RoleAndProfile(CamelModel):
    """A user's role and, for agents only, their agent profile."""

    role: UserRole
    agent_profile: AgentProfile | None = None

    @model_validator(mode="after")
    def _profile_matches_role(self) -> Self:
        problem = agent_profile_problem(self.role, self.agent_profile)
        if problem is not None:
            raise ValueError(problem)
        return self


class UserIdentity(RoleAndProfile):
    """Who a user is: their e-mail, role and, for agents only, their agent profile."""

    email: Email


def agent_profile_problem(role: UserRole, profile: AgentProfile | None) -> str | None:
    """Why `profile` does not fit `role` (agents need one, nobody else has one), or None."""
    if role is UserRole.AGENT and profile is None:
        return "an agent needs agentProfile: standard or premium"
    if role is not UserRole.AGENT and profile is not None:
        return f"agentProfile applies to agents only, not to a {role.value}"
    return None


class LicenseAssignment(UserIdentity):
    """One admin's or agent's mapping to the subscription that gives them access."""

    subscription: SubscriptionId


class PartnerAccess(CamelModel):
    """A partner organisation's access, and the customer admin who approved full admin."""

    org: OrgName
    access: PartnerAccessLevel
    approved_by: Email | None = None


class UsageRecord(CamelModel):
    """Measured usage of one type on one day, by one user or (without email) by the tenant."""

    day: ContractDate
    usage_type: UsageType
    quantity: Units
    email: Email | None = None

    @property
    def key(self) -> str:
        """What a record measures: its day, usage type and user (none: the tenant). One
        record per key; a record loaded again for a key replaces the stored one."""
        return f"{self.day.isoformat()}/{self.usage_type.value}/{self.email or ''}"
