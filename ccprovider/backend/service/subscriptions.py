"""Subscriptions of a tenant: one license model among those in force, which (the oldest
first) give the tenant its telephony option and license model; no deletion, and no terms
that end one, while users are mapped to it."""

from functools import partial
from typing import Any

from ccprovider import contract, rules
from ccprovider.backend.errors import ConflictError
from ccprovider.backend.service.common import (
    SUBSCRIPTION,
    USER,
    Area,
    PageOf,
    Versioned,
    check_version,
    child_record,
    conflict,
    create_once,
    find_or_page,
    following_subscriptions_in_force,
    now,
    record_to_replace,
    subscription_of,
    tenant_record,
    tenant_subscriptions,
)
from ccprovider.backend.storage import Record, Transaction
from ccprovider.domain import Subscription


def _subscription_view(tx: Transaction, record: Record) -> contract.Subscription:
    subscription = subscription_of(record)
    today = now(tx).date()
    primary = rules.primary_subscription(tenant_subscriptions(tx, record.tenant_id), today)
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


def _refuse_mixed_license_model(
    tx: Transaction, tenant_id: str, body: contract.SubscriptionBody, replaced: str | None = None
) -> None:
    """Refuse `body` when its license model differs from the subscriptions in force (but
    `replaced`, the one it replaces)."""
    others = [s for s in tenant_subscriptions(tx, tenant_id) if s.external_id != replaced]
    in_force = rules.subscriptions_in_force(others, now(tx).date())
    violations = rules.license_model_violations([*in_force, body])
    if violations:
        raise conflict(violations[0])


def _refuse_ending_while_carrying_users(
    tx: Transaction, record: Record, body: contract.SubscriptionBody
) -> None:
    """Refuse new terms under which a subscription that carries users gives no access:
    users are remapped before their subscription ends, never after."""
    ordered = body.model_dump(exclude={"managed_by"})
    terms = Subscription(**ordered, cancelled=record.body["cancelled"])
    problem = rules.access_problem(terms, now(tx).date())
    carried = tx.count(USER, record.tenant_id, ref=record.id)
    if problem is not None and carried:
        raise ConflictError(
            f"Subscription {record.key} still carries {carried} user(s), and under these "
            f"terms it {problem}.",
            "Remap its users to an active subscription first, or they lose access.",
        )


def _external_id_taken(external_id: str, existing: Record) -> ConflictError:
    return ConflictError(
        f"Subscription {external_id} already exists in this tenant (id {existing.id}).",
        "External ids are unique per tenant: manage the existing subscription.",
    )


def _new_subscription(
    tx: Transaction, tenant: Record, body: contract.SubscriptionBody
) -> dict[str, Any]:
    """What to store for a new subscription of `tenant`, once it fits the license model of
    the subscriptions in force."""
    _refuse_mixed_license_model(tx, tenant.id, body)
    return {**body.model_dump(mode="json"), "cancelled": False}


class SubscriptionService(Area):
    """Create, read, list, replace, cancel and delete subscriptions."""

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
            tenant = tenant_record(tx, tenant_id)
            with following_subscriptions_in_force(tx, tenant_id):
                record = create_once(
                    tx,
                    SUBSCRIPTION,
                    tenant,
                    body.external_id,
                    request_key=request_key,
                    if_match=if_match,
                    taken=partial(_external_id_taken, body.external_id),
                    build=partial(_new_subscription, tx, tenant, body),
                )
            return Versioned(_subscription_view(tx, record), record.version)

    def get_subscription(self, tenant_id: str, sub_id: str) -> Versioned[contract.Subscription]:
        with self.store.read() as tx:
            record = child_record(tx, SUBSCRIPTION, tenant_id, sub_id)
            return Versioned(_subscription_view(tx, record), record.version)

    def list_subscriptions(
        self, tenant_id: str, external_id: str | None, after: int, limit: int
    ) -> PageOf[contract.Subscription]:
        with self.store.read() as tx:
            tenant_record(tx, tenant_id)
            view = partial(_subscription_view, tx)
            return find_or_page(
                tx, SUBSCRIPTION, tenant_id, external_id, after=after, limit=limit, view=view
            )

    def replace_subscription(
        self, tenant_id: str, sub_id: str, body: contract.SubscriptionBody, if_match: int | None
    ) -> Versioned[contract.Subscription]:
        with self.store.write() as tx:
            record = record_to_replace(
                tx,
                SUBSCRIPTION,
                tenant_id,
                sub_id,
                if_match,
                key=body.external_id,
                key_name="externalId",
                fix="Create a new subscription for a new order instead.",
            )
            _refuse_mixed_license_model(tx, tenant_id, body, replaced=record.key)
            _refuse_ending_while_carrying_users(tx, record, body)
            stored = {**body.model_dump(mode="json"), "cancelled": record.body["cancelled"]}
            with following_subscriptions_in_force(tx, tenant_id):
                updated = tx.update(record, stored, now(tx), key=record.key, ref=None)
            return Versioned(_subscription_view(tx, updated), updated.version)

    def cancel_subscription(self, tenant_id: str, sub_id: str) -> Versioned[contract.Subscription]:
        with self.store.write() as tx:
            record = child_record(tx, SUBSCRIPTION, tenant_id, sub_id)
            if not record.body["cancelled"]:
                cancelled = {**record.body, "cancelled": True}
                with following_subscriptions_in_force(tx, tenant_id):
                    record = tx.update(record, cancelled, now(tx), key=record.key, ref=None)
            return Versioned(_subscription_view(tx, record), record.version)

    def delete_subscription(self, tenant_id: str, sub_id: str, if_match: int | None) -> None:
        with self.store.write() as tx:
            record = child_record(tx, SUBSCRIPTION, tenant_id, sub_id)
            check_version(record, if_match)
            mapped = tx.page(USER, tenant_id, ref=record.id, limit=5)
            if mapped:
                total = tx.count(USER, tenant_id, ref=record.id)
                emails = ", ".join(r.body["email"] for r in mapped)
                more = f" and {total - len(mapped)} more" if total > len(mapped) else ""
                raise ConflictError(
                    f"Subscription {record.key} still carries {total} user(s): {emails}{more}.",
                    "Remap them to another subscription first, or they lose access.",
                )
            with following_subscriptions_in_force(tx, tenant_id):
                tx.delete(record, now(tx))
