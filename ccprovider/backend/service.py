"""The mock backend's state and the rules the vendor enforces, independent of HTTP.

Like the vendor, it refuses a subscription whose license model differs from the tenant's,
a second partner starting with full admin, and a user holding licenses of two
subscriptions; and, like the vendor, it accepts a telephony mismatch silently. Status
and access follow the simulated clock. Every method runs in one store transaction.
"""

from calendar import monthrange
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Generic, TypeVar

from ccprovider import contract, rules
from ccprovider.backend.errors import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    PreconditionFailedError,
)
from ccprovider.backend.storage import Record, Store, Transaction
from ccprovider.contract import BulkAction, LicenseOperationKind, license_id
from ccprovider.domain import (
    LicenseAssignment,
    LicenseKind,
    LicenseModel,
    Subscription,
    UsageRecord,
    UsageType,
    UserRole,
)

TENANT, SUBSCRIPTION, USER, PARTNER, USAGE = "tenant", "subscription", "user", "partner", "usage"
_NO_TENANT = ""
_CLOCK_OFFSET = "clock_offset_seconds"
_CLOCK_LIMIT = datetime(2999, 12, 31, tzinfo=UTC)
_CHOSEN_BY_FIRST_SUBSCRIPTION = ("telephony", "license_model")

T = TypeVar("T")


@dataclass(frozen=True)
class Versioned(Generic[T]):
    """An object and its version, which the HTTP layer turns into an ETag."""

    value: T
    version: int


@dataclass(frozen=True)
class PageOf(Generic[T]):
    """One page of objects and the cursor of the next page, if there is one."""

    items: list[T]
    next_cursor: int | None


@dataclass(frozen=True)
class LicensePatchOutcome:
    """The result of a license PATCH, and whether every operation succeeded."""

    result: contract.LicensePatchResult
    complete: bool
    version: int


def _conflict(violation: rules.Violation) -> ConflictError:
    """A vendor rule the request breaks, as a 409 with the fix as its detail."""
    return ConflictError(violation.message, f"Fix: {violation.fix}")


def _check_version(record: Record, if_match: int | None) -> None:
    if if_match is not None and if_match != record.version:
        raise PreconditionFailedError(
            f'The {record.kind} changed since it was read: its ETag is now "{record.version}".',
            "Read it again and retry the change.",
        )


def _created_by(record: Record, request_key: str | None) -> bool:
    """Whether the request with this idempotency key created the record (it is retried)."""
    return request_key is not None and record.created_by == request_key


def _page(tx: Transaction, kind: str, tenant_id: str, after: int, limit: int) -> list[Record]:
    return tx.page(kind, tenant_id, after=after, limit=limit + 1)


def _paged(records: list[Record], limit: int, view: Callable[[Record], T]) -> PageOf[T]:
    shown = records[:limit]
    next_cursor = shown[-1].seq if len(records) > limit else None
    return PageOf([view(r) for r in shown], next_cursor)


_LICENSE_UNITS: dict[LicenseKind, UsageType | None] = {
    LicenseKind.ADMIN: None,
    LicenseKind.SUPERVISOR: UsageType.SUPERVISOR,
    LicenseKind.STANDARD_AGENT: UsageType.STANDARD_AGENT,
    LicenseKind.PREMIUM_AGENT: UsageType.PREMIUM_AGENT,
}

_LICENSE_KINDS = frozenset(kind.value for kind in LicenseKind)


def _no_such_license(lic_id: str) -> str:
    return f"License {lic_id} does not exist in this tenant."


def _period_bounds(period: str) -> tuple[date, date]:
    try:
        first = datetime.strptime(period, "%Y-%m").date()
    except ValueError:
        raise BadRequestError(f"period '{period}' is not a month like 2026-05.") from None
    return first, first.replace(day=monthrange(first.year, first.month)[1])


class ProvisioningService:
    """The backend's operations over a `Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # The simulated clock

    @staticmethod
    def _now(tx: Transaction) -> datetime:
        offset = float(tx.get_setting(_CLOCK_OFFSET) or 0)
        return datetime.now(UTC) + timedelta(seconds=offset)

    def clock(self) -> contract.ClockState:
        """The simulated time."""
        with self.store.read() as tx:
            now = self._now(tx)
        return contract.ClockState(now=now, today=now.date())

    def change_clock(self, change: contract.ClockChange) -> contract.ClockState:
        """Advance the simulated clock by days or set it; time keeps flowing from there."""
        with self.store.write() as tx:
            offset = float(tx.get_setting(_CLOCK_OFFSET) or 0)
            if change.now is not None:
                target = change.now if change.now.tzinfo else change.now.replace(tzinfo=UTC)
                offset = (target - datetime.now(UTC)).total_seconds()
            if change.advance_days:
                offset += timedelta(days=change.advance_days).total_seconds()
            if datetime.now(UTC) + timedelta(seconds=offset) > _CLOCK_LIMIT:
                raise BadRequestError(f"The simulated clock stops at {_CLOCK_LIMIT.date()}.")
            tx.set_setting(_CLOCK_OFFSET, repr(offset))
            now = self._now(tx)
        return contract.ClockState(now=now, today=now.date())

    # Tenants

    def _tenant_record(self, tx: Transaction, tenant_id: str) -> Record:
        record = tx.get(TENANT, tenant_id)
        if record is None:
            raise NotFoundError(f"Tenant '{tenant_id}' was not found.")
        return record

    def _tenant_view(self, tx: Transaction, record: Record) -> contract.Tenant:
        subscriptions = self._subscriptions(tx, record.id)
        primary = rules.primary_subscription(subscriptions, self._now(tx).date())
        return contract.Tenant(
            id=record.id,
            created_at=record.created_at,
            updated_at=record.updated_at,
            **record.body,
            primary_subscription=primary.external_id if primary else None,
        )

    def _refuse_duplicate_tenant_name(self, tx: Transaction, name: str, own_id: str) -> None:
        existing = tx.find(TENANT, _NO_TENANT, name)
        if existing is not None and existing.id != own_id:
            raise ConflictError(
                f"A tenant named '{name}' already exists (id {existing.id}).",
                "Tenant names are unique: choose another name or manage the existing tenant.",
            )

    def create_tenant(
        self, body: contract.TenantBody, request_key: str | None = None
    ) -> Versioned[contract.Tenant]:
        with self.store.write() as tx:
            retried = tx.find(TENANT, _NO_TENANT, body.name)
            if retried is not None and _created_by(retried, request_key):
                return Versioned(self._tenant_view(tx, retried), retried.version)
            self._refuse_duplicate_tenant_name(tx, body.name, "")
            record = tx.insert(
                TENANT,
                _NO_TENANT,
                body.model_dump(mode="json"),
                self._now(tx),
                key=body.name,
                created_by=request_key,
            )
            return Versioned(self._tenant_view(tx, record), record.version)

    def get_tenant(self, tenant_id: str) -> Versioned[contract.Tenant]:
        with self.store.read() as tx:
            record = self._tenant_record(tx, tenant_id)
            return Versioned(self._tenant_view(tx, record), record.version)

    def list_tenants(self, name: str | None, after: int, limit: int) -> PageOf[contract.Tenant]:
        with self.store.read() as tx:
            if name is not None:
                found = tx.find(TENANT, _NO_TENANT, name)
                return PageOf([self._tenant_view(tx, found)] if found else [], None)
            records = _page(tx, TENANT, _NO_TENANT, after, limit)
            return _paged(records, limit, lambda r: self._tenant_view(tx, r))

    def replace_tenant(
        self, tenant_id: str, body: contract.TenantBody, if_match: int | None
    ) -> Versioned[contract.Tenant]:
        with self.store.write() as tx:
            record = self._tenant_record(tx, tenant_id)
            _check_version(record, if_match)
            self._refuse_duplicate_tenant_name(tx, body.name, tenant_id)
            chosen = {k: record.body[k] for k in _CHOSEN_BY_FIRST_SUBSCRIPTION if k in record.body}
            updated = tx.update(
                record,
                {**body.model_dump(mode="json"), **chosen},
                self._now(tx),
                key=body.name,
                ref=None,
            )
            return Versioned(self._tenant_view(tx, updated), updated.version)

    def delete_tenant(self, tenant_id: str, if_match: int | None) -> None:
        with self.store.write() as tx:
            record = self._tenant_record(tx, tenant_id)
            _check_version(record, if_match)
            children = {kind: tx.count(kind, tenant_id) for kind in (SUBSCRIPTION, USER, PARTNER)}
            if any(children.values()):
                held = ", ".join(f"{n} {kind}(s)" for kind, n in children.items() if n)
                raise ConflictError(
                    f"Tenant '{record.body['name']}' still has {held}.",
                    "Delete them first; deleting a tenant never removes user access implicitly.",
                )
            tx.delete_tenant_objects(USAGE, tenant_id)
            tx.delete(record)

    # Subscriptions

    @staticmethod
    def _subscription(record: Record) -> Subscription:
        return Subscription.model_validate(record.body)

    def _subscriptions(self, tx: Transaction, tenant_id: str) -> list[Subscription]:
        """The tenant's subscriptions in provisioning order (a tenant has only a few)."""
        return [self._subscription(r) for r in tx.page(SUBSCRIPTION, tenant_id)]

    def _subscription_view(self, tx: Transaction, record: Record) -> contract.Subscription:
        subscription = self._subscription(record)
        today = self._now(tx).date()
        primary = rules.primary_subscription(self._subscriptions(tx, record.tenant_id), today)
        return contract.Subscription(
            id=record.id,
            tenant_id=record.tenant_id,
            created_at=record.created_at,
            updated_at=record.updated_at,
            **record.body,
            end_date=subscription.end,
            status=rules.subscription_status(subscription, today),
            is_primary=primary is not None and primary.external_id == subscription.external_id,
        )

    def _child_record(self, tx: Transaction, kind: str, tenant_id: str, object_id: str) -> Record:
        """An object of the tenant, or 404 (also when it belongs to another tenant)."""
        self._tenant_record(tx, tenant_id)
        record = tx.get(kind, object_id)
        if record is None or record.tenant_id != tenant_id:
            raise NotFoundError(
                f"{kind.capitalize()} '{object_id}' was not found in tenant '{tenant_id}'."
            )
        return record

    @staticmethod
    def _refuse_mixed_license_model(
        others: Sequence[Subscription], body: contract.SubscriptionBody, tenant: Record
    ) -> None:
        recorded = tenant.body.get("license_model")
        violations = rules.license_model_violations(
            [*others, body], LicenseModel(recorded) if recorded and others else None
        )
        if violations:
            raise _conflict(violations[0])

    def create_subscription(
        self,
        tenant_id: str,
        body: contract.SubscriptionBody,
        if_match: int | None = None,
        request_key: str | None = None,
    ) -> Versioned[contract.Subscription]:
        """Create a subscription; with `if_match`, only while the tenant is unchanged, so that
        two first subscriptions racing to choose the telephony option cannot both win."""
        with self.store.write() as tx:
            tenant = self._tenant_record(tx, tenant_id)
            existing = tx.find(SUBSCRIPTION, tenant_id, body.external_id)
            if existing is not None and _created_by(existing, request_key):
                return Versioned(self._subscription_view(tx, existing), existing.version)
            _check_version(tenant, if_match)
            if existing is not None:
                raise ConflictError(
                    f"Subscription {body.external_id} already exists in this tenant "
                    f"(id {existing.id}).",
                    "External ids are unique per tenant: manage the existing subscription.",
                )
            self._refuse_mixed_license_model(self._subscriptions(tx, tenant_id), body, tenant)
            if "telephony" not in tenant.body:
                # The first subscription provisioned chooses the tenant's telephony option
                # and license model, for good: later changes go through vendor support.
                chosen = {
                    "telephony": body.telephony.value,
                    "license_model": body.license_model.value,
                }
                tx.update(
                    tenant, {**tenant.body, **chosen}, self._now(tx), key=tenant.key, ref=None
                )
            stored = {**body.model_dump(mode="json"), "cancelled": False}
            record = tx.insert(
                SUBSCRIPTION,
                tenant_id,
                stored,
                self._now(tx),
                key=body.external_id,
                created_by=request_key,
            )
            return Versioned(self._subscription_view(tx, record), record.version)

    def get_subscription(self, tenant_id: str, sub_id: str) -> Versioned[contract.Subscription]:
        with self.store.read() as tx:
            record = self._child_record(tx, SUBSCRIPTION, tenant_id, sub_id)
            return Versioned(self._subscription_view(tx, record), record.version)

    def list_subscriptions(
        self, tenant_id: str, external_id: str | None, after: int, limit: int
    ) -> PageOf[contract.Subscription]:
        with self.store.read() as tx:
            self._tenant_record(tx, tenant_id)
            if external_id is not None:
                found = tx.find(SUBSCRIPTION, tenant_id, external_id)
                return PageOf([self._subscription_view(tx, found)] if found else [], None)
            records = _page(tx, SUBSCRIPTION, tenant_id, after, limit)
            return _paged(records, limit, lambda r: self._subscription_view(tx, r))

    def replace_subscription(
        self, tenant_id: str, sub_id: str, body: contract.SubscriptionBody, if_match: int | None
    ) -> Versioned[contract.Subscription]:
        with self.store.write() as tx:
            record = self._child_record(tx, SUBSCRIPTION, tenant_id, sub_id)
            _check_version(record, if_match)
            if body.external_id != record.key:
                raise BadRequestError(
                    f"externalId cannot change (it is {record.key}).",
                    "Create a new subscription for a new order instead.",
                )
            others = [s for s in self._subscriptions(tx, tenant_id) if s.external_id != record.key]
            self._refuse_mixed_license_model(others, body, self._tenant_record(tx, tenant_id))
            stored = {**body.model_dump(mode="json"), "cancelled": record.body["cancelled"]}
            updated = tx.update(record, stored, self._now(tx), key=record.key, ref=None)
            return Versioned(self._subscription_view(tx, updated), updated.version)

    def cancel_subscription(self, tenant_id: str, sub_id: str) -> Versioned[contract.Subscription]:
        with self.store.write() as tx:
            record = self._child_record(tx, SUBSCRIPTION, tenant_id, sub_id)
            if not record.body["cancelled"]:
                record = tx.update(
                    record,
                    {**record.body, "cancelled": True},
                    self._now(tx),
                    key=record.key,
                    ref=None,
                )
            return Versioned(self._subscription_view(tx, record), record.version)

    def delete_subscription(self, tenant_id: str, sub_id: str, if_match: int | None) -> None:
        with self.store.write() as tx:
            record = self._child_record(tx, SUBSCRIPTION, tenant_id, sub_id)
            _check_version(record, if_match)
            mapped = tx.page(USER, tenant_id, ref=record.id, limit=5)
            if mapped:
                total = tx.count(USER, tenant_id, ref=record.id)
                emails = ", ".join(r.body["email"] for r in mapped)
                more = f" and {total - len(mapped)} more" if total > len(mapped) else ""
                raise ConflictError(
                    f"Subscription {record.key} still carries {total} user(s): {emails}{more}.",
                    "Remap them to another subscription first, or they lose access.",
                )
            tx.delete(record)

    # Users and their licenses

    @staticmethod
    def _user_view(record: Record) -> contract.User:
        return contract.User(
            id=record.id,
            tenant_id=record.tenant_id,
            created_at=record.created_at,
            updated_at=record.updated_at,
            subscription_id=record.ref,
            **record.body,
        )

    def create_user(
        self,
        tenant_id: str,
        body: contract.UserBody,
        if_match: int | None = None,
        request_key: str | None = None,
    ) -> Versioned[contract.User]:
        with self.store.write() as tx:
            _check_version(self._tenant_record(tx, tenant_id), if_match)
            existing = tx.find(USER, tenant_id, body.email)
            if existing is not None and _created_by(existing, request_key):
                return Versioned(self._user_view(existing), existing.version)
            if existing is not None:
                raise ConflictError(
                    f"User {body.email} already exists in this tenant (id {existing.id}).",
                    "E-mail addresses are unique per tenant: manage the existing user.",
                )
            stored = {**body.model_dump(mode="json"), "licenses": []}
            record = tx.insert(
                USER, tenant_id, stored, self._now(tx), key=body.email, created_by=request_key
            )
            return Versioned(self._user_view(record), record.version)

    def get_user(self, tenant_id: str, user_id: str) -> Versioned[contract.User]:
        with self.store.read() as tx:
            record = self._child_record(tx, USER, tenant_id, user_id)
            return Versioned(self._user_view(record), record.version)

    def list_users(
        self, tenant_id: str, email: str | None, after: int, limit: int
    ) -> PageOf[contract.User]:
        with self.store.read() as tx:
            self._tenant_record(tx, tenant_id)
            if email is not None:
                found = tx.find(USER, tenant_id, email.strip().lower())
                return PageOf([self._user_view(found)] if found else [], None)
            return _paged(_page(tx, USER, tenant_id, after, limit), limit, self._user_view)

    def replace_user(
        self, tenant_id: str, user_id: str, body: contract.UserBody, if_match: int | None
    ) -> Versioned[contract.User]:
        with self.store.write() as tx:
            record = self._child_record(tx, USER, tenant_id, user_id)
            _check_version(record, if_match)
            if body.email != record.key:
                raise BadRequestError(
                    f"email cannot change (it is {record.key}).",
                    "Create a user for the new address and delete the old one.",
                )
            held = self._licenses_for_role(tx, record, body)
            stored = {**body.model_dump(mode="json"), "licenses": held}
            updated = tx.update(record, stored, self._now(tx), key=record.key, ref=record.ref)
            return Versioned(self._user_view(updated), updated.version)

    def _licenses_for_role(
        self, tx: Transaction, record: Record, body: contract.UserBody
    ) -> list[str]:
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
        subscription = self._subscription(sub_record) if sub_record else None
        problem = rules.license_switch_problem(body, held[0], subscription, self._now(tx).date())
        if problem is not None:
            raise ConflictError(problem, "Map the user to an active subscription first.")
        return [fitting]

    def delete_user(self, tenant_id: str, user_id: str, if_match: int | None) -> None:
        with self.store.write() as tx:
            record = self._child_record(tx, USER, tenant_id, user_id)
            _check_version(record, if_match)
            tx.delete(record)

    def list_licenses(self, tenant_id: str) -> list[contract.License]:
        """Every subscription's licenses with their total and consumed units."""
        with self.store.read() as tx:
            self._tenant_record(tx, tenant_id)
            licenses = []
            for record in tx.page(SUBSCRIPTION, tenant_id):
                subscription = self._subscription(record)
                consumed: dict[str, int] = {}
                for user in tx.page(USER, tenant_id, ref=record.id):
                    for held in user.body["licenses"]:
                        consumed[held] = consumed.get(held, 0) + 1
                for kind, usage_type in _LICENSE_UNITS.items():
                    lic_id = license_id(record.id, kind)
                    licenses.append(
                        contract.License(
                            id=lic_id,
                            kind=kind,
                            subscription_id=record.id,
                            external_id=subscription.external_id,
                            total_units=(
                                subscription.entitlements.units(usage_type) if usage_type else None
                            ),
                            consumed_units=consumed.get(lic_id, 0),
                        )
                    )
            return licenses

    def patch_licenses(
        self, tenant_id: str, patch: contract.LicensePatch, if_match: int | None
    ) -> LicensePatchOutcome:
        """Apply one user's license operations: removals first, then additions, so that a
        switch of subscription happens in one step. Operations that cannot apply are reported
        and the others still apply (206), except that a switch whose addition fails keeps
        the old license: a request that adds never leaves the user without one."""
        with self.store.write() as tx:
            self._tenant_record(tx, tenant_id)
            record = tx.find(USER, tenant_id, patch.email)
            if record is None:
                raise NotFoundError(f"User {patch.email} was not found in tenant '{tenant_id}'.")
            _check_version(record, if_match)
            user = contract.UserBody.model_validate(
                {name: record.body.get(name) for name in contract.UserBody.model_fields}
            )
            original: list[str] = list(record.body["licenses"])
            held = list(original)
            outcomes: dict[int, str | None] = {}
            ordered = sorted(
                enumerate(patch.licenses), key=lambda p: p[1].operation is LicenseOperationKind.ADD
            )
            for index, operation in ordered:
                outcomes[index] = self._apply_license_operation(
                    tx, tenant_id, user, held, operation
                )
            if original and not held and any(outcomes.values()):
                held = original
                for index, operation in enumerate(patch.licenses):
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
                for i, op in enumerate(patch.licenses)
            ]
            failures = [r.description for r in results if r.description]
            if len(failures) == len(results):
                raise ConflictError("No license operation could be applied.", *failures)
            ref = held[0].split(":")[0] if held else None
            updated = tx.update(
                record, {**record.body, "licenses": held}, self._now(tx), key=record.key, ref=ref
            )
            result = contract.LicensePatchResult(user=self._user_view(updated), licenses=results)
            return LicensePatchOutcome(result, complete=not failures, version=updated.version)

    def bulk_assign(
        self, tenant_id: str, batch: contract.BulkAssignmentBatch
    ) -> tuple[contract.BulkAssignmentOutcome, bool]:
        """Apply each user's part of a batch on its own, in one transaction: a part that
        cannot apply is reported with its reason and changes nothing, and the others still
        apply. Also say whether every part applied."""
        with self.store.write() as tx:
            self._tenant_record(tx, tenant_id)
            today = self._now(tx).date()
            results = [self._bulk_part(tx, tenant_id, part, today) for part in batch.users]
        outcome = contract.BulkAssignmentOutcome(users=results)
        return outcome, all(r.status != "error" for r in results)

    def _bulk_part(
        self, tx: Transaction, tenant_id: str, part: contract.BulkAssignment, today: date
    ) -> contract.BulkAssignmentResult:
        record = tx.find(USER, tenant_id, part.email)
        previous = record.body.get("external_id") if record else None
        status, user, why = (
            self._bulk_assign_part(tx, tenant_id, part, record, today)
            if part.action is BulkAction.ASSIGN
            else self._bulk_release_part(tx, part, record)
        )
        return contract.BulkAssignmentResult(
            email=part.email,
            action=part.action,
            status=status,
            description=why,
            previous_external_id=previous,
            user=self._user_view(user) if user else None,
        )

    def _bulk_release_part(
        self, tx: Transaction, part: contract.BulkAssignment, record: Record | None
    ) -> tuple[contract.BulkStatus, Record | None, str | None]:
        """Release or delete the user, while they still carry the caller's mark."""
        if record is None or record.body.get("external_id") != part.if_external_id:
            return "skipped", record, "The user is gone or managed by another client now."
        if part.action is BulkAction.DELETE:
            tx.delete(record)
            return "deleted", None, None
        body = {**record.body, "external_id": part.external_id, "licenses": []}
        return "updated", tx.update(record, body, self._now(tx), key=record.key, ref=None), None

    def _bulk_assign_part(
        self,
        tx: Transaction,
        tenant_id: str,
        part: contract.BulkAssignment,
        record: Record | None,
        today: date,
    ) -> tuple[contract.BulkStatus, Record | None, str | None]:
        """Create or update the user so that they hold exactly the wanted license."""
        prefix = part.if_external_id_prefix
        mark = record.body.get("external_id") if record else None
        if record is not None and prefix is not None and not (mark or "").startswith(prefix):
            return (
                "error",
                record,
                (
                    f"User {part.email} already exists (id {record.id}) and is not managed by "
                    "this client: adopt it explicitly."
                ),
            )
        identity = part.identity()
        wanted = part.license or ""
        if record is None or record.body["licenses"] != [wanted]:
            offer = self._license_offer(tx, tenant_id, wanted)
            problem = (
                rules.license_addition_problem(identity, wanted, *offer, today)
                if offer
                else _no_such_license(wanted)
            )
            if problem is not None:
                return "error", record, problem
        stored = {**identity.model_dump(mode="json"), "licenses": [wanted]}
        ref = wanted.partition(":")[0]
        if record is None:
            return (
                "created",
                tx.insert(USER, tenant_id, stored, self._now(tx), key=part.email, ref=ref),
                None,
            )
        return "updated", tx.update(record, stored, self._now(tx), key=record.key, ref=ref), None

    def list_managed_users(
        self, tenant_id: str, external_id: str, after: int, limit: int
    ) -> PageOf[contract.User]:
        """One page of the users that carry the client's mark `external_id`."""
        with self.store.read() as tx:
            self._tenant_record(tx, tenant_id)
            marked = [
                r
                for r in tx.page(USER, tenant_id, after=after)
                if r.body.get("external_id") == external_id
            ]
            return _paged(marked[: limit + 1], limit, self._user_view)

    def _apply_license_operation(
        self,
        tx: Transaction,
        tenant_id: str,
        user: contract.UserBody,
        held: list[str],
        operation: contract.LicenseOperation,
    ) -> str | None:
        """Apply one operation to `held`; return why it cannot apply, or None."""
        offer = self._license_offer(tx, tenant_id, operation.id)
        if offer is None:
            return _no_such_license(operation.id)
        if operation.operation is LicenseOperationKind.REMOVE:
            # Removing a license the user does not hold already reached its goal: a retried
            # switch must not fail on the removal it made the first time.
            if operation.id in held:
                held.remove(operation.id)
            return None
        if operation.id not in held:
            today = self._now(tx).date()
            problem = rules.license_addition_problem(user, operation.id, *offer, today, held=held)
            if problem is not None:
                return problem
            held.append(operation.id)
        return None

    def _license_offer(
        self, tx: Transaction, tenant_id: str, lic_id: str
    ) -> tuple[LicenseKind, Subscription] | None:
        """The kind of license `lic_id` and the subscription of this tenant that offers it,
        or None when the tenant offers no such license."""
        sub_id, _, kind_name = lic_id.partition(":")
        record = tx.get(SUBSCRIPTION, sub_id)
        if record is None or record.tenant_id != tenant_id or kind_name not in _LICENSE_KINDS:
            return None
        return LicenseKind(kind_name), self._subscription(record)

    def check_access(self, tenant_id: str, email: str) -> contract.AccessCheck:
        """Whether the user can use the contact center now, through which subscription."""
        with self.store.read() as tx:
            self._tenant_record(tx, tenant_id)
            record = tx.find(USER, tenant_id, email.strip().lower())
            if record is None:
                raise NotFoundError(f"User {email} was not found in tenant '{tenant_id}'.")
            sub_record = tx.get(SUBSCRIPTION, record.ref) if record.ref else None
            if sub_record is None:
                return contract.AccessCheck(
                    email=record.body["email"],
                    has_access=False,
                    subscription_id=None,
                    external_id=None,
                    reason="holds no contact-center license",
                )
            subscription = self._subscription(sub_record)
            problem = rules.access_problem(subscription, self._now(tx).date())
            return contract.AccessCheck(
                email=record.body["email"],
                has_access=problem is None,
                subscription_id=sub_record.id,
                external_id=subscription.external_id,
                reason=f"subscription {subscription.external_id} "
                + (problem or f"is active until {subscription.end.isoformat()}"),
            )

    # Partners

    @staticmethod
    def _partner_view(record: Record) -> contract.Partner:
        return contract.Partner(
            id=record.id,
            tenant_id=record.tenant_id,
            created_at=record.created_at,
            updated_at=record.updated_at,
            **record.body,
        )

    def _refuse_partner_access(
        self,
        tx: Transaction,
        tenant_id: str,
        body: contract.PartnerBody,
        current: contract.PartnerBody | None,
    ) -> None:
        orgs = [r.key for r in tx.page(PARTNER, tenant_id)]
        joined_before = orgs.index(body.org) if body.org in orgs else len(orgs)
        today = self._now(tx).date()
        active = rules.active_subscriptions(self._subscriptions(tx, tenant_id), today)
        admins = [
            r.body["email"]
            for r in tx.page(USER, tenant_id)
            if r.body["role"] == UserRole.ADMIN.value and r.body["licenses"]
        ]
        violation = rules.partner_access_violation(
            body.org,
            current.access if current else None,
            body.access,
            partners_before=joined_before,
            subscription_count=len(active),
            approved_by=body.approved_by,
            customer_admins=admins,
        )
        if violation is not None:
            raise _conflict(violation)

    def create_partner(
        self,
        tenant_id: str,
        body: contract.PartnerBody,
        if_match: int | None = None,
        request_key: str | None = None,
    ) -> Versioned[contract.Partner]:
        with self.store.write() as tx:
            _check_version(self._tenant_record(tx, tenant_id), if_match)
            existing = tx.find(PARTNER, tenant_id, body.org)
            if existing is not None and _created_by(existing, request_key):
                return Versioned(self._partner_view(existing), existing.version)
            if existing is not None:
                raise ConflictError(
                    f"Partner {body.org} already has access to this tenant (id {existing.id}).",
                    "Change its access instead.",
                )
            self._refuse_partner_access(tx, tenant_id, body, None)
            record = tx.insert(
                PARTNER,
                tenant_id,
                body.model_dump(mode="json"),
                self._now(tx),
                key=body.org,
                created_by=request_key,
            )
            return Versioned(self._partner_view(record), record.version)

    def get_partner(self, tenant_id: str, partner_id: str) -> Versioned[contract.Partner]:
        with self.store.read() as tx:
            record = self._child_record(tx, PARTNER, tenant_id, partner_id)
            return Versioned(self._partner_view(record), record.version)

    def list_partners(
        self, tenant_id: str, org: str | None, after: int, limit: int
    ) -> PageOf[contract.Partner]:
        with self.store.read() as tx:
            self._tenant_record(tx, tenant_id)
            if org is not None:
                found = tx.find(PARTNER, tenant_id, org)
                return PageOf([self._partner_view(found)] if found else [], None)
            return _paged(_page(tx, PARTNER, tenant_id, after, limit), limit, self._partner_view)

    def replace_partner(
        self, tenant_id: str, partner_id: str, body: contract.PartnerBody, if_match: int | None
    ) -> Versioned[contract.Partner]:
        with self.store.write() as tx:
            record = self._child_record(tx, PARTNER, tenant_id, partner_id)
            _check_version(record, if_match)
            if body.org != record.key:
                raise BadRequestError(f"org cannot change (it is {record.key}).")
            current = contract.PartnerBody.model_validate(record.body)
            self._refuse_partner_access(tx, tenant_id, body, current)
            updated = tx.update(
                record, body.model_dump(mode="json"), self._now(tx), key=record.key, ref=None
            )
            return Versioned(self._partner_view(updated), updated.version)

    def delete_partner(self, tenant_id: str, partner_id: str, if_match: int | None) -> None:
        with self.store.write() as tx:
            record = self._child_record(tx, PARTNER, tenant_id, partner_id)
            _check_version(record, if_match)
            tx.delete(record)

    # Usage and billing

    def add_usage(self, tenant_id: str, batch: contract.UsageBatch) -> contract.UsageAccepted:
        with self.store.write() as tx:
            self._tenant_record(tx, tenant_id)
            now = self._now(tx)
            for record in batch.records:
                period = f"{record.day.year:04d}-{record.day.month:02d}"
                tx.insert(USAGE, tenant_id, record.model_dump(mode="json"), now, ref=period)
            return contract.UsageAccepted(accepted=len(batch.records))

    def list_usage(
        self, tenant_id: str, period: str, after: int, limit: int
    ) -> PageOf[UsageRecord]:
        _period_bounds(period)
        with self.store.read() as tx:
            self._tenant_record(tx, tenant_id)
            records = tx.page(USAGE, tenant_id, after=after, limit=limit + 1, ref=period)
            return _paged(records, limit, lambda r: UsageRecord.model_validate(r.body))

    def billing_summary(self, tenant_id: str, period: str) -> contract.BillingSummary:
        """Usage per subscription, pooled entitlements and overage for one month, with
        statuses and the primary as of the period's last day (or today, if earlier)."""
        _, last_day = _period_bounds(period)
        with self.store.read() as tx:
            self._tenant_record(tx, tenant_id)
            on = min(last_day, self._now(tx).date())
            subscriptions = self._subscriptions(tx, tenant_id)
            by_id = {r.id: self._subscription(r) for r in tx.page(SUBSCRIPTION, tenant_id)}
            assignments = [
                LicenseAssignment(
                    email=r.body["email"],
                    role=r.body["role"],
                    agent_profile=r.body["agent_profile"],
                    subscription=by_id[r.ref].external_id,
                )
                for r in tx.page(USER, tenant_id)
                if r.ref in by_id
            ]
            records = [
                UsageRecord.model_validate(r.body) for r in tx.page(USAGE, tenant_id, ref=period)
            ]
        primary = rules.primary_subscription(subscriptions, on)
        allocation = rules.allocate_usage(subscriptions, assignments, records, on)
        charges = rules.overage(subscriptions, rules.tenant_usage(records), on)
        return contract.BillingSummary(
            period=period,
            primary_subscription=primary.external_id if primary else None,
            pooled_entitlements=rules.pooled_entitlements(subscriptions, on),
            subscriptions=[
                contract.SubscriptionBilling(
                    external_id=s.external_id,
                    status=rules.subscription_status(s, on),
                    is_primary=s is primary,
                    usage=dict(allocation.get(s.external_id, {})),
                )
                for s in subscriptions
            ],
            unallocated=dict(allocation.get(None, {})),
            overage=[
                contract.OverageLine(
                    usage_type=c.usage_type,
                    used=c.used,
                    pooled=c.pooled,
                    overage=c.overage,
                    charged_to=c.charged_to,
                )
                for c in charges
            ],
        )
