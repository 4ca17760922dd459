"""The `Tenant` resource: one customer tenant in the provisioning backend."""

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
from ccprovider.client import ApiError
from ccprovider.domain import Telephony, TenantSettings
from ccprovider.resources.base import (
    ADOPTED,
    ApiProvider,
    ApiResource,
    diff_inputs,
    engine_values,
    read_result,
    salt,
    stack_mark,
    validate_inputs,
)


class TenantInputs(TenantSettings):
    """A tenant's declared settings, its telephony option and whether to adopt it."""

    telephony: Telephony
    adopt: bool = False


DIFF_FIELDS = ("name", "offer", "hybrid", "telephony")
OUTPUT_FIELDS = ("tenant_id", "created_at")


def _body(props: dict[str, Any]) -> contract.TenantBody:
    return contract.TenantBody.model_validate(
        {f: props[f] for f in contract.TenantBody.model_fields}
    )


def _outputs(tenant: contract.Tenant, props: dict[str, Any]) -> dict[str, Any]:
    """All inputs plus the computed values, as the engine stores them."""
    settings = tenant.model_dump(mode="json", include=set(contract.TenantBody.model_fields))
    return {
        **settings,
        "telephony": (tenant.telephony or props["telephony"]),
        **engine_values(props),
        "tenant_id": tenant.id,
        "created_at": tenant.created_at.isoformat(),
    }


class TenantProvider(ApiProvider):
    """CRUD of a tenant through the provisioning API."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs, failures = validate_inputs(TenantInputs, news)
        new = inputs.get("telephony")
        changed = olds.get("telephony") not in (None, new)
        if not failures and isinstance(new, str) and (changed or inputs.get("adopt")):
            failures += self._telephony_failures(olds.get("name") or inputs["name"], new)
        return CheckResult(inputs, failures)

    def _telephony_failures(self, name: str, declared: str) -> list[CheckFailure]:
        """A tenant's option is chosen once, by its first subscription, perhaps outside this
        stack: declaring another one is a tenant-wide change that goes through vendor support."""
        live = self.client.find_tenant(name)
        if live is None or live.telephony is None:
            return []
        violation = rules.telephony_change_violation(
            f"Tenant {name}", live.telephony, Telephony(declared)
        )
        return [CheckFailure("telephony", str(violation))] if violation else []

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return diff_inputs(olds, news, DIFF_FIELDS)

    def create(self, props: dict[str, Any]) -> CreateResult:
        body = _body(props)
        tenant, adopted = self.create_or_adopt(
            f"Tenant '{body.name}'",
            props.get("adopt", False),
            lambda: self.client.create_tenant(body, salt=salt(props)),
            lambda: self.client.find_tenant(body.name),
        )
        if adopted:
            tenant = self.client.replace_tenant(tenant.id, body)
        return CreateResult(tenant.id, _outputs(tenant, {**props, ADOPTED: adopted}))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        tenant = self.client.get_tenant(id_)
        return read_result(id_, _outputs(tenant, props) if tenant else None, DIFF_FIELDS)

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(_outputs(self.client.replace_tenant(id_, _body(news)), news))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            self._delete_released_users(id_, stack_mark(props))
        except ApiError as error:
            if error.status == 404:
                return  # the tenant is gone already
            raise
        if not props.get(ADOPTED):  # an adopted tenant is released, not deleted
            self.client.delete_tenant(id_)

    def _delete_released_users(self, tenant_id: str, mark: str) -> None:
        """Delete the users this stack's teams released, which no resource holds any more."""
        released = [
            contract.BulkAssignment(
                action=contract.BulkAction.DELETE, email=user.email, if_external_id=mark
            )
            for user in self.client.list_managed_users(tenant_id, mark)
        ]
        if released:
            self.client.bulk_assign(tenant_id, released)


@dataclass(frozen=True)
class TenantArgs:
    """Arguments of a `Tenant`."""

    name: pulumi.Input[str]
    offer: pulumi.Input[str]
    telephony: pulumi.Input[str]
    hybrid: pulumi.Input[bool] = False
    adopt: bool = False


class Tenant(ApiResource, module="ccprovider", name="Tenant"):
    """A contact-center tenant; outputs the backend's tenant id and creation time."""

    name: pulumi.Output[str]
    offer: pulumi.Output[str]
    hybrid: pulumi.Output[bool]
    telephony: pulumi.Output[str]
    tenant_id: pulumi.Output[str]
    created_at: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: TenantArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        inputs = {
            "name": args.name,
            "offer": args.offer,
            "hybrid": args.hybrid,
            "telephony": args.telephony,
            "adopt": args.adopt,
        }
        super().__init__(TenantProvider(), resource_name, inputs, OUTPUT_FIELDS, opts)
