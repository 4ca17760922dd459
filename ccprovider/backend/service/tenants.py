"""Tenants: unique names, and the telephony option and license model their subscriptions in
force decide."""

from functools import partial

from ccprovider import contract, rules
from ccprovider.backend.errors import ConflictError
from ccprovider.backend.service.common import (
    CHOSEN_BY_SUBSCRIPTIONS,
    NO_TENANT,
    PARTNER,
    SUBSCRIPTION,
    TENANT,
    USAGE,
    USER,
    Area,
    PageOf,
    Versioned,
    check_version,
    chosen_by_subscriptions,
    create_once,
    find_or_page,
    now,
    tenant_record,
    tenant_subscriptions,
)
from ccprovider.backend.storage import Record, Transaction


def _tenant_view(tx: Transaction, record: Record) -> contract.Tenant:
    """The tenant, with what its subscriptions in force decide today (one of them may have
    expired since the last change)."""
    primary = rules.primary_subscription(tenant_subscriptions(tx, record.id), now(tx).date())
    settings = {k: v for k, v in record.body.items() if k not in CHOSEN_BY_SUBSCRIPTIONS}
    return contract.Tenant(
        id=record.id,
        created_at=record.created_at,
        updated_at=record.updated_at,
        **settings,
        **chosen_by_subscriptions(tx, record.id),
        primary_subscription=primary.external_id if primary else None,
    )


def _name_taken(name: str, existing: Record) -> ConflictError:
    return ConflictError(
        f"A tenant named '{name}' already exists (id {existing.id}).",
        "Tenant names are unique: choose another name or manage the existing tenant.",
    )


class TenantService(Area):
    """Create, read, list, replace and delete tenants."""

    def create_tenant(
        self, body: contract.TenantBody, request_key: str | None = None
    ) -> Versioned[contract.Tenant]:
        with self.store.write() as tx:
            record = create_once(
                tx,
                TENANT,
                None,
                body.name,
                request_key=request_key,
                taken=partial(_name_taken, body.name),
                build=partial(body.model_dump, mode="json"),
            )
            return Versioned(_tenant_view(tx, record), record.version)

    def get_tenant(self, tenant_id: str) -> Versioned[contract.Tenant]:
        with self.store.read() as tx:
            record = tenant_record(tx, tenant_id)
            return Versioned(_tenant_view(tx, record), record.version)

    def list_tenants(
        self, name: str | None, after: int, limit: int, visible_to: str | None = None
    ) -> PageOf[contract.Tenant]:
        """A page of tenants; with `visible_to`, a partner organisation, only those where it
        holds partner access (a page may then hold fewer than `limit`)."""
        with self.store.read() as tx:
            view = partial(_tenant_view, tx)
            found = find_or_page(tx, TENANT, NO_TENANT, name, after=after, limit=limit, view=view)
            if visible_to is None:
                return found
            shown = [t for t in found.items if tx.find(PARTNER, t.id, visible_to) is not None]
            return PageOf(shown, found.next_cursor)

    def replace_tenant(
        self, tenant_id: str, body: contract.TenantBody, if_match: int | None
    ) -> Versioned[contract.Tenant]:
        with self.store.write() as tx:
            record = tenant_record(tx, tenant_id)
            check_version(record, if_match)
            existing = tx.find(TENANT, NO_TENANT, body.name)
            if existing is not None and existing.id != tenant_id:
                raise _name_taken(body.name, existing)
            chosen = {k: record.body[k] for k in CHOSEN_BY_SUBSCRIPTIONS if k in record.body}
            updated = tx.update(
                record,
                {**body.model_dump(mode="json"), **chosen},
                now(tx),
                key=body.name,
                ref=None,
            )
            return Versioned(_tenant_view(tx, updated), updated.version)

    def delete_tenant(self, tenant_id: str, if_match: int | None) -> None:
        with self.store.write() as tx:
            record = tenant_record(tx, tenant_id)
            check_version(record, if_match)
            children = {kind: tx.count(kind, tenant_id) for kind in (SUBSCRIPTION, USER, PARTNER)}
            if any(children.values()):
                held = ", ".join(f"{n} {kind}(s)" for kind, n in children.items() if n)
                raise ConflictError(
                    f"Tenant '{record.body['name']}' still has {held}.",
                    "Delete them first; deleting a tenant never removes user access implicitly.",
                )
            tx.delete_tenant_objects(USAGE, tenant_id)
            tx.delete(record, now(tx))
