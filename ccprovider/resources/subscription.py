"""The `Subscription` resource: one contact-center subscription of a tenant."""

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
from ccprovider.domain import SubscriptionTerms, Telephony
from ccprovider.resources.base import (
    ADOPTED,
    ApiProvider,
    ApiResource,
    ProviderError,
    diff_inputs,
    engine_values,
    is_unknown,
    read_result,
    salt,
    validate_inputs,
)


class SubscriptionInputs(SubscriptionTerms):
    """A subscription's declared terms, the tenant it belongs to, and whether to adopt it."""

    tenant_id: str
    adopt: bool = False


TERM_FIELDS = tuple(SubscriptionTerms.model_fields)
DIFF_FIELDS = ("tenant_id", *TERM_FIELDS)
REPLACE_FIELDS = ("tenant_id", "external_id", "license_model", "start")
"""A new order: another subscription, not an update of this one."""
OUTPUT_FIELDS = ("subscription_id", "end_date", "status", "is_primary")
_GUARD_ATTEMPTS = 10


def _terms(source: dict[str, Any] | contract.Subscription) -> dict[str, Any]:
    """The terms as JSON-ready data, normalized the way `check` normalizes them."""
    data = source.model_dump() if isinstance(source, contract.Subscription) else source
    terms = SubscriptionTerms.model_validate({f: data[f] for f in TERM_FIELDS if f in data})
    return terms.model_dump(mode="json", exclude_none=True)


def _outputs(subscription: contract.Subscription, props: dict[str, Any]) -> dict[str, Any]:
    return {
        **_terms(subscription),
        "tenant_id": subscription.tenant_id,
        **engine_values(props),
        "subscription_id": subscription.id,
        "end_date": subscription.end_date.isoformat(),
        "status": subscription.status.value,
        "is_primary": subscription.is_primary,
    }


class SubscriptionProvider(ApiProvider):
    """CRUD of a subscription, checking the tenant-wide rules against the live tenant."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs, failures = validate_inputs(SubscriptionInputs, news)
        if failures or any(is_unknown(v) for v in inputs.values()):
            return CheckResult(inputs, failures)
        changed = olds.get("telephony") and rules.telephony_change_violation(
            f"Subscription {inputs['external_id']}",
            Telephony(olds["telephony"]),
            Telephony(inputs["telephony"]),
        )
        if changed:
            failures.append(CheckFailure("telephony", str(changed)))
        else:
            failures += self._tenant_rule_failures(inputs)
        return CheckResult(inputs, failures)

    def _tenant_rule_failures(self, inputs: dict[str, Any]) -> list[CheckFailure]:
        """The live tenant decides the telephony option and license model (its first
        subscription chose them, perhaps outside this stack): check the new terms against it."""
        tenant = self.client.get_tenant(inputs["tenant_id"])
        if tenant is None:
            return []
        external_id = inputs["external_id"]
        others = [
            s for s in self.client.list_subscriptions(tenant.id) if s.external_id != external_id
        ]
        terms = [*others, SubscriptionTerms.model_validate(_terms(inputs))]
        violations = [
            *rules.telephony_violations(terms, tenant.telephony),
            *rules.license_model_violations(terms, tenant.license_model if others else None),
        ]
        field = {"single-telephony": "telephony", "single-license-model": "license_model"}
        return [
            CheckFailure(field[v.rule], str(v)) for v in violations if v.objects == (external_id,)
        ]

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        result = diff_inputs(olds, news, DIFF_FIELDS, REPLACE_FIELDS)
        # The external id is unique per tenant: the old one must go before the new one comes,
        # when both are in the same tenant.
        same_key = all(
            not is_unknown(news.get(f)) and olds.get(f) == news.get(f)
            for f in ("tenant_id", "external_id")
        )
        result.delete_before_replace = bool(result.replaces) and same_key
        return result

    def create(self, props: dict[str, Any]) -> CreateResult:
        tenant_id, body = (
            props["tenant_id"],
            contract.SubscriptionBody.model_validate(_terms(props)),
        )
        subscription, adopted = self.create_or_adopt(
            f"Subscription {body.external_id}",
            props.get("adopt", False),
            lambda: self._create_guarded(tenant_id, body, salt(props)),
            lambda: self.client.find_subscription(tenant_id, body.external_id),
        )
        if adopted:
            subscription = self.client.replace_subscription(tenant_id, subscription.id, body)
        return CreateResult(subscription.id, _outputs(subscription, {**props, ADOPTED: adopted}))

    def _create_guarded(
        self, tenant_id: str, body: contract.SubscriptionBody, key_salt: str
    ) -> contract.Subscription:
        """Create only while the tenant is unchanged. Subscriptions racing to be a tenant's
        first cannot both choose its telephony option (which the backend, like the vendor,
        would accept silently): the losers see the winner's option and fail clearly."""
        for _ in range(_GUARD_ATTEMPTS):
            tenant, version = self.client.get_tenant_version(tenant_id)
            violations = rules.telephony_violations([body], tenant.telephony)
            if violations:
                raise ProviderError(f"{violations[0]} (tenant {tenant.name})")
            try:
                return self.client.create_subscription(
                    tenant_id, body, if_match=version, salt=key_salt
                )
            except ApiError as error:
                if error.status != 412:
                    raise
        raise ProviderError(
            f"Tenant {tenant_id} kept changing while subscription {body.external_id} was being "
            "created; run `pulumi up` again."
        )

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        live = self.client.get_subscription(props["tenant_id"], id_)
        return read_result(id_, _outputs(live, props) if live else None, DIFF_FIELDS)

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        body = contract.SubscriptionBody.model_validate(_terms(news))
        subscription = self.client.replace_subscription(news["tenant_id"], id_, body)
        return UpdateResult(_outputs(subscription, news))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        if not props.get(ADOPTED):  # an adopted subscription is released, not deleted
            self.client.delete_subscription(props["tenant_id"], id_)


@dataclass(frozen=True)
class SubscriptionArgs:
    """Arguments of a `Subscription`: the tenant and the declared terms."""

    tenant_id: pulumi.Input[str]
    terms: SubscriptionTerms
    adopt: bool = False


class Subscription(ApiResource, module="ccprovider", name="Subscription"):
    """A subscription; outputs its backend id, end date, status and primacy as last seen."""

    external_id: pulumi.Output[str]
    tenant_id: pulumi.Output[str]
    subscription_id: pulumi.Output[str]
    end_date: pulumi.Output[str]
    status: pulumi.Output[str]
    is_primary: pulumi.Output[bool]

    def __init__(
        self,
        resource_name: str,
        args: SubscriptionArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        inputs = {
            **args.terms.model_dump(mode="json", exclude_none=True),
            "tenant_id": args.tenant_id,
            "adopt": args.adopt,
        }
        super().__init__(SubscriptionProvider(), resource_name, inputs, OUTPUT_FIELDS, opts)
