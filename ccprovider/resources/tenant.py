"""The `Tenant` resource: one customer tenant in the provisioning backend."""

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from ccprovider import contract
from ccprovider.client import ApiError
from ccprovider.domain import TenantSettings
from ccprovider.resources.base import ApiProvider, diff_inputs, validate_inputs

INPUT_FIELDS = tuple(TenantSettings.model_fields)
OUTPUT_FIELDS = ("tenant_id", "created_at")


def _outputs(tenant: contract.Tenant) -> dict[str, Any]:
    """All inputs plus the computed values, as the engine stores them."""
    inputs = tenant.model_dump(mode="json", include=set(INPUT_FIELDS))
    return {**inputs, "tenant_id": tenant.id, "created_at": tenant.created_at.isoformat()}


def _body(props: dict[str, Any]) -> contract.TenantBody:
    return contract.TenantBody.model_validate({f: props[f] for f in INPUT_FIELDS})


class TenantProvider(ApiProvider):
    """CRUD of a tenant through the provisioning API."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs, failures = validate_inputs(TenantSettings, news)
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return diff_inputs(olds, news, INPUT_FIELDS)

    def create(self, props: dict[str, Any]) -> CreateResult:
        body = _body(props)
        try:
            tenant = self.client.create_tenant(body)
        except ApiError as error:
            if error.status == 409:
                raise RuntimeError(
                    f"Tenant '{body.name}' already exists in {self._settings.describe()}: "
                    "this stack does not manage it. Choose another tenant name in the stack "
                    "config, or delete the existing tenant from the backend."
                ) from error
            raise
        return CreateResult(tenant.id, _outputs(tenant))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        tenant = self.client.get_tenant(id_)
        if tenant is None:
            return ReadResult(None, {})
        outs = _outputs(tenant)
        return ReadResult(tenant.id, outs, {f: outs[f] for f in INPUT_FIELDS})

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(_outputs(self.client.replace_tenant(id_, _body(news))))

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        self.client.delete_tenant(id_)


@dataclass(frozen=True)
class TenantArgs:
    """Arguments of a `Tenant`."""

    name: pulumi.Input[str]
    offer: pulumi.Input[str]
    hybrid: pulumi.Input[bool] = False


class Tenant(Resource, module="ccprovider", name="Tenant"):
    """A contact-center tenant; outputs the backend's tenant id and creation time."""

    name: pulumi.Output[str]
    offer: pulumi.Output[str]
    hybrid: pulumi.Output[bool]
    tenant_id: pulumi.Output[str]
    created_at: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: TenantArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props: dict[str, Any] = {"name": args.name, "offer": args.offer, "hybrid": args.hybrid}
        props.update(dict.fromkeys(OUTPUT_FIELDS))
        super().__init__(TenantProvider(), resource_name, props, opts)
