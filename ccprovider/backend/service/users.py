"""Users of a tenant, unique by e-mail, and the licenses the tenant offers them.

A license id is its subscription's id and its kind (`contract.license_id`); a user holds
the licenses of one subscription at most, and `ref` on the user names that subscription.
"""

from functools import partial
from typing import Any

from ccprovider import contract, rules
from ccprovider.backend.errors import ConflictError
from ccprovider.backend.service.common import (
    SUBSCRIPTION,
    USER,
    USER_LOOK,
    create_once,
    now,
    subscription_of,
    tenant_record,
)
from ccprovider.backend.storage import Record, Transaction
from ccprovider.contract import license_id
from ccprovider.domain import LicenseKind, Subscription, email_skeleton

_LICENSE_KINDS = frozenset(kind.value for kind in LicenseKind)


def license_offer(
    tx: Transaction, tenant_id: str, lic_id: str
) -> tuple[LicenseKind, Subscription] | None:
    """The kind of license `lic_id` and the subscription of this tenant that offers it, or
    None when the tenant offers no such license."""
    sub_id, _, kind_name = lic_id.partition(":")
    record = tx.get(SUBSCRIPTION, sub_id)
    if record is None or record.tenant_id != tenant_id or kind_name not in _LICENSE_KINDS:
        return None
    return LicenseKind(kind_name), subscription_of(record)


def no_such_license(lic_id: str) -> str:
    """Why a license the tenant does not offer cannot be added or removed."""
    return f"License {lic_id} does not exist in this tenant."


def _email_taken(email: str, existing: Record) -> ConflictError:
    return ConflictError(
        f"User {email} already exists in this tenant (id {existing.id}).",
        "E-mail addresses are unique per tenant: manage the existing user.",
    )


def _look_alike_problem(tx: Transaction, tenant_id: str, email: str) -> str | None:
    """Why a new user cannot have `email`: it reads the same as an existing user's address
    (one TR39 skeleton, such as `paypa1@` beside `paypal@`), so one would pass for the other."""
    twin = tx.find(USER_LOOK, tenant_id, email_skeleton(email))
    if twin is None or twin.body["email"] == email:
        return None
    return f"User {email} reads the same as existing user {twin.body['email']} (id {twin.ref})."


def _remember_look(tx: Transaction, user: Record) -> None:
    """Store how a new user's address reads, once (a replayed create finds it stored)."""
    if not tx.page(USER_LOOK, user.tenant_id, ref=user.id, limit=1):
        email = user.body["email"]
        look = email_skeleton(email)
        tx.insert(USER_LOOK, user.tenant_id, {"email": email}, now(tx), key=look, ref=user.id)


def delete_user_record(tx: Transaction, user: Record) -> None:
    """Delete a user and how their address reads."""
    for look in tx.page(USER_LOOK, user.tenant_id, ref=user.id):
        tx.delete(look, now(tx))
    tx.delete(user, now(tx))


PROFILE = "profile"
"""Where a stored user keeps what the vendor's people and SCIM routes add to who they are
(`displayName`, `firstName`, `lastName`); the simulator's own routes keep it as it is."""


INACTIVE = "inactive"
"""A deactivated person's profile says so: they keep their account and cannot sign in."""
DIRECTORY_ATTRIBUTES = frozenset(
    {"title", "department", "costCenter", "organization", "division", "manager", "groups"}
    | {INACTIVE}
)
"""What the directory (an identity provider's SCIM sync) says of a person beyond names."""


def _kept_profile(record: Record | None) -> dict[str, Any]:
    """The part of a stored user's body that a change through the simulator's routes keeps."""
    return {PROFILE: record.body[PROFILE]} if record and PROFILE in record.body else {}


def identity_of(record: Record) -> contract.UserBody:
    """Who a stored user is: e-mail, role, agent profile and the mark of their manager."""
    return contract.UserBody.model_validate(
        {name: record.body.get(name) for name in contract.UserBody.model_fields}
    )


def display_name(record: Record) -> str:
    """How a user is named: their profile's display name, else their e-mail address."""
    name = record.body.get(PROFILE, {}).get("displayName")
    return str(name) if name else str(record.body["email"])


def _new_user(
    tx: Transaction, tenant_id: str, body: contract.UserBody, profile: dict[str, Any]
) -> dict[str, Any]:
    """The stored body of a new user, unless their address reads as an existing user's."""
    problem = _look_alike_problem(tx, tenant_id, body.email)
    if problem is not None:
        raise ConflictError(problem, "Give the user an address that cannot pass for another's.")
    return {**body.model_dump(mode="json"), "licenses": [], **profile}


def create_user_record(
    tx: Transaction,
    tenant_id: str,
    body: contract.UserBody,
    *,
    if_match: int | None = None,
    request_key: str | None = None,
    profile: dict[str, Any] | None = None,
) -> Record:
    """Create a user without licenses (a retry of the same request gets the same user), with
    the vendor routes' `profile` when given, and remember how their address reads."""
    record = create_once(
        tx,
        USER,
        tenant_record(tx, tenant_id),
        body.email,
        request_key=request_key,
        if_match=if_match,
        taken=partial(_email_taken, body.email),
        build=lambda: _new_user(tx, tenant_id, body, {PROFILE: profile} if profile else {}),
        still_theirs=lambda user: user.body.get("external_id") == body.external_id,
    )
    _remember_look(tx, record)
    return record


def replace_user_record(
    tx: Transaction, record: Record, body: contract.UserBody, profile: dict[str, Any] | None = None
) -> Record:
    """Give a user who they are in `body`, keeping their licenses (switched to the fitting
    kind when the role changes) and their profile, unless a new `profile` is given."""
    held = _licenses_for_role(tx, record, body)
    kept = {PROFILE: profile} if profile is not None else _kept_profile(record)
    stored = {**body.model_dump(mode="json"), "licenses": held, **kept}
    return tx.update(record, stored, now(tx), key=record.key, ref=record.ref)


def _licenses_for_role(tx: Transaction, record: Record, body: contract.UserBody) -> list[str]:
    """The user's licenses after a role or profile change: a held license of another kind
    becomes the fitting kind of the same subscription in the same step, as when an admin
    changes an agent's profile, so the user never goes without access."""
    held: list[str] = record.body["licenses"]
    if not held:
        return held
    sub_id = held[0].partition(":")[0]
    fitting = license_id(sub_id, rules.license_kind(body.role, body.agent_profile))
    if held[0] == fitting:
        return held
    sub_record = tx.get(SUBSCRIPTION, sub_id)
    subscription = subscription_of(sub_record) if sub_record else None
    problem = rules.license_switch_problem(body, held[0], subscription, now(tx).date())
    if problem is not None:
        raise ConflictError(problem, "Map the user to an active subscription first.")
    return [fitting]
