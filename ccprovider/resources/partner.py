"""The `PartnerAccess` resource: a partner organisation's provisioning-admin access.

Domain rule 7: in a tenant with several subscriptions, an additional partner starts with
read-only access, and full admin needs a customer admin's approval. Declared full admin
with a recorded approval is created read-only first, then raised, as the vendor requires.
"""

from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import CheckFailure

from ccprovider import contract, domain, rules
from ccprovider.domain import OrgName, PartnerAccessLevel, UserRole
from ccprovider.resources.base import ApiResource, ObjectProvider, engine_values
from ccprovider.resources.inputs import DeclaredInputs, Replace
from ccprovider.resources.ownership import owner_of, salt


class PartnerInputs(domain.PartnerAccess, DeclaredInputs):
    """The partner's declared access and its tenant; another tenant or org is another partner."""

    natural_key: ClassVar[tuple[str, ...]] = ("tenant_id", "org")

    tenant_id: Replace[str]
    org: Replace[OrgName]


def _body(props: dict[str, Any], managed: bool = True) -> contract.PartnerBody:
    """The access as declared, marked as this state's unless `managed` is False."""
    access = {f: props.get(f) for f in domain.PartnerAccess.model_fields}
    return contract.PartnerBody.model_validate(
        {**access, "managed_by": (owner_of(props) or None) if managed else None}
    )


class PartnerAccessProvider(ObjectProvider[contract.Partner]):
    """Grants, changes and revokes a partner's access, read-only first where the rule says."""

    inputs_model = PartnerInputs
    kind = "Partner"

    def live_failures(self, _olds: dict[str, Any], inputs: dict[str, Any]) -> list[CheckFailure]:
        violation = self._violation(_body(inputs), inputs["tenant_id"])
        return [CheckFailure("approved_by", str(violation))] if violation else []

    def _violation(self, body: contract.PartnerBody, tenant_id: str) -> rules.Violation | None:
        """Whether the live tenant allows `body`'s access as the partner's end state."""
        if body.access is PartnerAccessLevel.READ_ONLY or self.client.get_tenant(tenant_id) is None:
            return None
        orgs = [p.org for p in self.client.list_partners(tenant_id)]
        joined_before = orgs.index(body.org) if body.org in orgs else len(orgs)
        approver = self.client.find_user(tenant_id, body.approved_by) if body.approved_by else None
        if body.approved_by and approver is None:
            return None  # declared in this change; the program checked it, the backend will too
        admins = [approver.email] if approver and approver.role is UserRole.ADMIN else []
        return rules.partner_access_violation(
            body.org,
            PartnerAccessLevel.READ_ONLY,
            body.access,
            partners_before=joined_before,
            subscription_count=len(self.active_subscriptions(tenant_id)),
            approved_by=body.approved_by,
            customer_admins=admins,
        )

    def create_new(self, props: dict[str, Any]) -> contract.Partner:
        first_step = _body(props).model_copy(update={"access": PartnerAccessLevel.READ_ONLY})
        return self.client.create_partner(props["tenant_id"], first_step, salt=salt(props))

    def find_existing(self, props: dict[str, Any]) -> contract.Partner | None:
        return self.client.find_partner(props["tenant_id"], props["org"])

    def put_unmanaged(self, id_: str, props: dict[str, Any]) -> None:
        self.client.replace_partner(props["tenant_id"], id_, _body(props, managed=False))

    def converge(
        self, obj: contract.Partner, props: dict[str, Any], adopted: bool
    ) -> contract.Partner:
        """Raise a new partner to its declared access; set an adopted one's."""
        del adopted
        body = _body(props)
        if obj.model_dump(include=set(contract.PartnerBody.model_fields)) == body.model_dump():
            return obj
        return self.client.replace_partner(props["tenant_id"], obj.id, body)

    def fetch(self, id_: str, props: dict[str, Any]) -> contract.Partner | None:
        return self.client.get_partner(props["tenant_id"], id_)

    def outputs(self, obj: contract.Partner, props: dict[str, Any]) -> dict[str, Any]:
        body = obj.model_dump(mode="json", include=set(domain.PartnerAccess.model_fields))
        return {
            **{k: v for k, v in body.items() if v is not None},
            "tenant_id": obj.tenant_id,
            **engine_values(props),
            "partner_id": obj.id,
        }

    def replace(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> contract.Partner:
        return self.client.replace_partner(news["tenant_id"], id_, _body(news))

    def remove(self, id_: str, props: dict[str, Any]) -> None:
        self.client.delete_partner(props["tenant_id"], id_)


class PartnerAccess(ApiResource, provider=PartnerAccessProvider):
    """A partner organisation's access to the tenant; outputs the backend's partner id."""

    partner_id: pulumi.Output[str]
