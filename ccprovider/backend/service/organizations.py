"""Organizations and their partner administrators, as the vendor's routes show them: an
organisation is a tenant, and a partner organisation with access to it is known by its
administrator, who holds a role in the customer's organisation (full or read-only admin).
Assigning one gives its organisation access under domain rule 7: full admin where the
rule allows, read-only first where it does not."""

from pydantic import ValidationError

from ccprovider import contract
from ccprovider.backend.errors import NotFoundError
from ccprovider.backend.service.common import NO_TENANT, PARTNER, TENANT, Area, now, tenant_record
from ccprovider.backend.service.partners import partner_access, partner_violation
from ccprovider.backend.storage import Record
from ccprovider.backend.vendor_ids import org_id, partner_admin_id
from ccprovider.domain import PartnerAccessLevel
from ccprovider.vendor_contract import Organization, PartnerAdmin, PartnerRole, vendor_time

_ROLE_OF_ACCESS: dict[str, PartnerRole] = {
    PartnerAccessLevel.FULL_ADMIN.value: "id_full_admin",
    PartnerAccessLevel.READ_ONLY.value: "id_readonly_admin",
}


def _organization(record: Record) -> Organization:
    return Organization(
        id=org_id(record.id),
        display_name=record.body["name"],
        created=vendor_time(record.created_at),
    )


def _partner_admin(record: Record) -> PartnerAdmin:
    org = str(record.key)
    return PartnerAdmin(
        id=partner_admin_id(org),
        display_name=f"Administrator of partner {org}",
        role_in_customer_org=_ROLE_OF_ACCESS[record.body["access"]],
        partner_org=org,
    )


class OrganizationService(Area):
    """Read organisations; list, assign and unassign their partner administrators."""

    def partner_access_of(self, tenant_id: str, org: str) -> str | None:
        """The access partner organisation `org` holds on a tenant, if any."""
        with self.store.read() as tx:
            return partner_access(tx, tenant_id, org)

    def list_organizations(self, visible_to: str | None) -> list[Organization]:
        """Every organisation; with `visible_to`, a partner organisation, those where it
        holds access. Not paged, as the vendor's list is not."""
        with self.store.read() as tx:
            return [
                _organization(record)
                for record in tx.page(TENANT, NO_TENANT)
                if visible_to is None or tx.find(PARTNER, record.id, visible_to) is not None
            ]

    def get_organization(self, tenant_id: str) -> Organization:
        with self.store.read() as tx:
            return _organization(tenant_record(tx, tenant_id))

    def list_partner_admins(self, tenant_id: str) -> list[PartnerAdmin]:
        with self.store.read() as tx:
            tenant_record(tx, tenant_id)
            return [_partner_admin(record) for record in tx.page(PARTNER, tenant_id)]

    def assign_partner_admin(self, tenant_id: str, org: str) -> None:
        """Give partner organisation `org` access to the tenant, unless it holds some."""
        with self.store.write() as tx:
            tenant_record(tx, tenant_id)
            if tx.find(PARTNER, tenant_id, org) is not None:
                return
            try:
                full = contract.PartnerBody(org=org, access=PartnerAccessLevel.FULL_ADMIN)
            except ValidationError:
                raise NotFoundError(f"Partner organization {org!r} does not exist.") from None
            body = full
            if partner_violation(tx, tenant_id, full, None) is not None:
                body = full.model_copy(update={"access": PartnerAccessLevel.READ_ONLY})
            tx.insert(PARTNER, tenant_id, body.model_dump(mode="json"), now(tx), key=org)

    def unassign_partner_admin(self, tenant_id: str, org: str) -> None:
        """Take partner organisation `org`'s access to the tenant away."""
        with self.store.write() as tx:
            tenant_record(tx, tenant_id)
            record = tx.find(PARTNER, tenant_id, org)
            if record is None:
                raise NotFoundError(
                    f"Partner {org} holds no access to organization {org_id(tenant_id)}."
                )
            tx.delete(record, now(tx))
