"""The `PartnerAccess` resource: a partner organisation's provisioning-admin access.

Domain rule 7: in a tenant with several subscriptions, an additional partner starts with
read-only access, and full admin needs a customer admin's approval. Declared full admin
with a recorded approval is created read-only first, then raised, as the vendor requires.
"""

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)

from ccprovider import contract, rules
from ccprovider.domain import PartnerAccessLevel, SubscriptionStatus, UserRole
from ccprovider.resources.base import (
    ADOPTED,
    ApiProvider,
    ApiResource,
    diff_inputs,
    engine_values,
    is_unknown,
    read_result,
    salt,
    validate_inputs,
)


class PartnerInputs(contract.PartnerBody):
    """The partner's declared access, its tenant, and whether to adopt it."""

    tenant_id: str
    adopt: bool = False


DIFF_FIELDS = ("tenant_id", "org", "access", "approved_by")
REPLACE_FIELDS = ("tenant_id", "org")
OUTPUT_FIELDS = ("partner_id",)


def _body(props: dict[str, Any]) -> contract.PartnerBody:
    return contract.PartnerBody.model_validate(
        {f: props.get(f) for f in contract.PartnerBody.model_fields}
    )


def _outputs(partner: contract.Partner, props: dict[str, Any]) -> dict[str, Any]:
    body = partner.model_dump(mode="json", include=set(contract.PartnerBody.model_fields))
    return {
        **{k: v for k, v in body.items() if v is not None},
        "tenant_id": partner.tenant_id,
        **engine_values(props),
        "partner_id": partner.id,
    }


class PartnerAccessProvider(ApiProvider):
    """Grants, changes and revokes a partner's access, read-only first where the rule says."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs, failures = validate_inputs(PartnerInputs, news)
        if not failures and not any(is_unknown(v) for v in inputs.values()):
            violation = self._violation(_body(inputs), inputs["tenant_id"])
            if violation is not None:
                failures.append(CheckFailure("approved_by", str(violation)))
        return CheckResult(inputs, failures)

    def _violation(self, body: contract.PartnerBody, tenant_id: str) -> rules.Violation | None:
        """Whether the live tenant allows `body`'s access as the partner's end state."""
        if body.access is PartnerAccessLevel.READ_ONLY or self.client.get_tenant(tenant_id) is None:
            return None
        orgs = [p.org for p in self.client.list_partners(tenant_id)]
        joined_before = orgs.index(body.org) if body.org in orgs else len(orgs)
        active = [
            s
            for s in self.client.list_subscriptions(tenant_id)
            if s.status is SubscriptionStatus.ACTIVE
        ]
        approver = self.client.find_user(tenant_id, body.approved_by) if body.approved_by else None
        if body.approved_by and approver is None:
            return None  # declared in this change; the program checked it, the backend will too
        admins = [approver.email] if approver and approver.role is UserRole.ADMIN else []
        return rules.partner_access_violation(
            body.org,
            PartnerAccessLevel.READ_ONLY,
            body.access,
            partners_before=joined_before,
            subscription_count=len(active),
            approved_by=body.approved_by,
            customer_admins=admins,
        )

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return diff_inputs(olds, news, DIFF_FIELDS, REPLACE_FIELDS)

    def create(self, props: dict[str, Any]) -> CreateResult:
        tenant_id, body = props["tenant_id"], _body(props)
        first_step = body.model_copy(update={"access": PartnerAccessLevel.READ_ONLY})
        partner, adopted = self.create_or_adopt(
            f"Partner {body.org}",
            props.get("adopt", False),
            lambda: self.client.create_partner(tenant_id, first_step, salt=salt(props)),
            lambda: self.client.find_partner(tenant_id, body.org),
        )
        if partner.model_dump(include=set(contract.PartnerBody.model_fields)) != body.model_dump():
            partner = self.client.replace_partner(tenant_id, partner.id, body)
        return CreateResult(partner.id, _outputs(partner, {**props, ADOPTED: adopted}))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        partner = self.client.get_partner(props["tenant_id"], id_)
        return read_result(id_, _outputs(partner, props) if partner else None, DIFF_FIELDS)

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        partner = self.client.replace_partner(news["tenant_id"], id_, _body(news))
        return UpdateResult(_outputs(partner, news))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        if not props.get(ADOPTED):  # an adopted partner is released, not removed
            self.client.delete_partner(props["tenant_id"], id_)


@dataclass(frozen=True)
class PartnerAccessArgs:
    """Arguments of a `PartnerAccess`."""

    tenant_id: pulumi.Input[str]
    org: str
    access: str
    approved_by: str | None = None
    adopt: bool = False


class PartnerAccess(ApiResource, module="ccprovider", name="PartnerAccess"):
    """A partner organisation's access to the tenant; outputs the backend's partner id."""

    org: pulumi.Output[str]
    access: pulumi.Output[str]
    partner_id: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        args: PartnerAccessArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        inputs = {
            "tenant_id": args.tenant_id,
            "org": args.org,
            "access": args.access,
            "approved_by": args.approved_by,
            "adopt": args.adopt,
        }
        super().__init__(PartnerAccessProvider(), resource_name, inputs, OUTPUT_FIELDS, opts)
