"""Licenses: what each subscription offers and users consume, assigning them one user at a
time or in bulk, and whether a user has access now."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ccprovider import contract, rules
from ccprovider.backend.errors import NotFoundError
from ccprovider.backend.service.common import (
    SUBSCRIPTION,
    USER,
    Area,
    now,
    subscription_of,
    tenant_record,
)
from ccprovider.backend.service.users import (
    INACTIVE,
    PROFILE,
    identity_of,
    license_offer,
    no_such_license,
)
from ccprovider.backend.storage import Record, Transaction
from ccprovider.contract import LicenseOperationKind
from ccprovider.domain import LicenseKind, UsageType, email_key

LICENSE_UNITS: dict[LicenseKind, UsageType | None] = {
    LicenseKind.ADMIN: None,
    LicenseKind.SUPERVISOR: UsageType.SUPERVISOR,
    LicenseKind.STANDARD_AGENT: UsageType.STANDARD_AGENT,
    LicenseKind.PREMIUM_AGENT: UsageType.PREMIUM_AGENT,
}
"""The usage type whose entitlement gives each kind of license its total units."""


def _apply_license_operation(
    tx: Transaction,
    tenant_id: str,
    user: contract.UserBody,
    held: list[str],
    operation: contract.LicenseOperation,
) -> str | None:
    """Apply one operation to `held`; return why it cannot apply, or None."""
    offer = license_offer(tx, tenant_id, operation.id)
    if offer is None:
        return no_such_license(operation.id)
    if operation.operation is LicenseOperationKind.REMOVE:
        # Removing a license the user does not hold already reached its goal: a retried
        # switch must not fail on the removal it made the first time.
        if operation.id in held:
            held.remove(operation.id)
        return None
    if operation.id not in held:
        today = now(tx).date()
        problem = rules.license_addition_problem(user, operation.id, *offer, today, held=held)
        if problem is not None:
            return problem
        held.append(operation.id)
    return None


@dataclass(frozen=True)
class LicensesApplied:
    """A user after a license PATCH, and the outcome of each of its operations."""

    record: Record
    results: list[contract.LicenseOperationResult]


def apply_license_operations(
    tx: Transaction, record: Record, operations: Sequence[contract.LicenseOperation]
) -> LicensesApplied:
    """Apply one user's license operations: removals first, then additions, so that a switch
    of subscription happens in one step. Operations that cannot apply are reported and the
    others still apply, except that a switch whose addition fails keeps the old license: a
    request that adds never leaves the user without one. When none applies, the user is
    left as they were."""
    tenant_id = record.tenant_id
    user = identity_of(record)
    original: list[str] = list(record.body["licenses"])
    held = list(original)
    outcomes: dict[int, str | None] = {}
    ordered = sorted(
        enumerate(operations), key=lambda p: p[1].operation is LicenseOperationKind.ADD
    )
    for index, operation in ordered:
        outcomes[index] = _apply_license_operation(tx, tenant_id, user, held, operation)
    if original and not held and any(outcomes.values()):
        held = original
        for index, operation in enumerate(operations):
            if operation.operation is LicenseOperationKind.REMOVE and not outcomes[index]:
                outcomes[index] = (
                    f"Not applied: removing {operation.id} would leave {user.email} "
                    "without access, as the addition in this request failed."
                )
    results = [
        contract.LicenseOperationResult(
            id=op.id,
            operation=op.operation,
            status="ok" if outcomes[i] is None else "error",
            description=outcomes[i],
        )
        for i, op in enumerate(operations)
    ]
    if all(r.description for r in results):
        return LicensesApplied(record, results)
    ref = held[0].split(":")[0] if held else None
    updated = tx.update(record, {**record.body, "licenses": held}, now(tx), key=record.key, ref=ref)
    return LicensesApplied(updated, results)


def consumed_licenses(tx: Transaction, subscription: Record) -> Counter[str]:
    """How many users hold each license of a subscription."""
    return Counter(
        held
        for user in tx.page(USER, subscription.tenant_id, ref=subscription.id)
        for held in user.body["licenses"]
    )


class LicenseService(Area):
    """Check users' access."""

    def check_access(self, tenant_id: str, email: str) -> contract.AccessCheck:
        """Whether the user can use the contact center now, through which subscription."""
        with self.store.read() as tx:
            tenant_record(tx, tenant_id)
            record = tx.find(USER, tenant_id, email_key(email))
            if record is None:
                raise NotFoundError(f"User {email} was not found in tenant '{tenant_id}'.")
            if record.body.get(PROFILE, {}).get(INACTIVE):
                return contract.AccessCheck(
                    email=record.body["email"],
                    has_access=False,
                    subscription_id=record.ref,
                    external_id=None,
                    reason="is deactivated in the directory",
                )
            sub_record = tx.get(SUBSCRIPTION, record.ref) if record.ref else None
            if sub_record is None:
                return contract.AccessCheck(
                    email=record.body["email"],
                    has_access=False,
                    subscription_id=None,
                    external_id=None,
                    reason="holds no contact-center license",
                )
            subscription = subscription_of(sub_record)
            problem = rules.access_problem(subscription, now(tx).date())
            return contract.AccessCheck(
                email=record.body["email"],
                has_access=problem is None,
                subscription_id=sub_record.id,
                external_id=subscription.external_id,
                reason=f"subscription {subscription.external_id} "
                + (problem or f"is active until {subscription.end.isoformat()}"),
            )
