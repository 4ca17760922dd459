"""Partner organisations' access to a tenant: an additional partner of a tenant with
several subscriptions starts read-only, and full admin needs a customer admin's approval."""

from functools import partial
from typing import Any

from ccprovider import contract, rules
from ccprovider.backend.errors import ConflictError
from ccprovider.backend.service.common import (
    PARTNER,
    USER,
    Area,
    PageOf,
    Versioned,
    check_version,
    child_record,
    conflict,
    create_once,
    find_or_page,
    now,
    record_to_replace,
    tenant_record,
    tenant_subscriptions,
)
from ccprovider.backend.storage import Record, Transaction
from ccprovider.domain import UserRole


def _partner_view(record: Record) -> contract.Partner:
    return contract.Partner(
        id=record.id,
        tenant_id=record.tenant_id,
        created_at=record.created_at,
        updated_at=record.updated_at,
        **record.body,
    )


def partner_access(tx: Transaction, tenant_id: str, org: str) -> str | None:
    """The access partner organisation `org` holds on a tenant, if any."""
    record = tx.find(PARTNER, tenant_id, org)
    return str(record.body["access"]) if record else None


def partner_violation(
    tx: Transaction,
    tenant_id: str,
    body: contract.PartnerBody,
    current: contract.PartnerBody | None,
) -> rules.Violation | None:
    """The partner rule (domain rule 7) that giving `body`'s access to its organisation,
    which holds `current` (None: joining), would break, if any."""
    orgs = [r.key for r in tx.page(PARTNER, tenant_id)]
    joined_before = orgs.index(body.org) if body.org in orgs else len(orgs)
    active = rules.active_subscriptions(tenant_subscriptions(tx, tenant_id), now(tx).date())
    admins = [
        r.body["email"]
        for r in tx.page(USER, tenant_id)
        if r.body["role"] == UserRole.ADMIN.value and r.body["licenses"]
    ]
    return rules.partner_access_violation(
        body.org,
        current.access if current else None,
        body.access,
        partners_before=joined_before,
        subscription_count=len(active),
        approved_by=body.approved_by,
        customer_admins=admins,
    )


def _refuse_partner_access(
    tx: Transaction,
    tenant_id: str,
    body: contract.PartnerBody,
    current: contract.PartnerBody | None,
) -> None:
    violation = partner_violation(tx, tenant_id, body, current)
    if violation is not None:
        raise conflict(violation)


def _new_partner(tx: Transaction, tenant_id: str, body: contract.PartnerBody) -> dict[str, Any]:
    """What to store for a partner joining the tenant, once its access is allowed."""
    _refuse_partner_access(tx, tenant_id, body, None)
    return body.model_dump(mode="json")


def _org_taken(org: str, existing: Record) -> ConflictError:
    return ConflictError(
        f"Partner {org} already has access to this tenant (id {existing.id}).",
        "Change its access instead.",
    )


class PartnerService(Area):
    """Add partners to a tenant, read, list and change their access, and remove them."""

    def create_partner(
        self,
        tenant_id: str,
        body: contract.PartnerBody,
        if_match: int | None = None,
        request_key: str | None = None,
    ) -> Versioned[contract.Partner]:
        with self.store.write() as tx:
            record = create_once(
                tx,
                PARTNER,
                tenant_record(tx, tenant_id),
                body.org,
                request_key=request_key,
                if_match=if_match,
                taken=partial(_org_taken, body.org),
                build=partial(_new_partner, tx, tenant_id, body),
            )
            return Versioned(_partner_view(record), record.version)

    def get_partner(self, tenant_id: str, partner_id: str) -> Versioned[contract.Partner]:
        with self.store.read() as tx:
            record = child_record(tx, PARTNER, tenant_id, partner_id)
            return Versioned(_partner_view(record), record.version)

    def list_partners(
        self, tenant_id: str, org: str | None, after: int, limit: int
    ) -> PageOf[contract.Partner]:
        with self.store.read() as tx:
            tenant_record(tx, tenant_id)
            return find_or_page(
                tx, PARTNER, tenant_id, org, after=after, limit=limit, view=_partner_view
            )

    def replace_partner(
        self, tenant_id: str, partner_id: str, body: contract.PartnerBody, if_match: int | None
    ) -> Versioned[contract.Partner]:
        with self.store.write() as tx:
            record = record_to_replace(
                tx, PARTNER, tenant_id, partner_id, if_match, key=body.org, key_name="org"
            )
            current = contract.PartnerBody.model_validate(record.body)
            _refuse_partner_access(tx, tenant_id, body, current)
            updated = tx.update(
                record, body.model_dump(mode="json"), now(tx), key=record.key, ref=None
            )
            return Versioned(_partner_view(updated), updated.version)

    def delete_partner(self, tenant_id: str, partner_id: str, if_match: int | None) -> None:
        with self.store.write() as tx:
            record = child_record(tx, PARTNER, tenant_id, partner_id)
            check_version(record, if_match)
            tx.delete(record, now(tx))
