"""The `Subscription` resource: one contact-center subscription of a tenant."""

from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, DiffResult, ReadResult
from pydantic.alias_generators import to_camel

from ccprovider import contract, domain, rules
from ccprovider.api_errors import ConflictError, PreconditionFailedError
from ccprovider.domain import (
    ContractDate,
    LicenseModel,
    SubscriptionId,
    SubscriptionStatus,
    SubscriptionTerms,
    Telephony,
)
from ccprovider.resources.base import ApiResource, ObjectProvider, describe_users, engine_values
from ccprovider.resources.failures import ProviderError
from ccprovider.resources.inputs import (
    CONNECTION,
    DeclaredInputs,
    Replace,
    diff_inputs,
    not_known_yet,
)
from ccprovider.resources.ownership import marked_by_stack, owner_of, released, salt

_GUARD_ATTEMPTS = 10
_TERM_FIELDS = tuple(SubscriptionTerms.model_fields)
STATUS = "status"
"""An input added by `check` and an output: the status the declared dates give on the
provisioning clock, and the status the backend reports."""


class SubscriptionInputs(SubscriptionTerms, DeclaredInputs):
    """A subscription's declared terms and the tenant it belongs to. Another tenant, external
    id, license model or start is a new order: another subscription, not an update."""

    natural_key: ClassVar[tuple[str, ...]] = ("tenant_id", "external_id")

    tenant_id: Replace[str]
    external_id: Replace[SubscriptionId]
    license_model: Replace[LicenseModel]
    start: Replace[ContractDate]


def _terms(source: dict[str, Any] | contract.Subscription) -> dict[str, Any]:
    """The terms as JSON-ready data, normalized the way `check` normalizes them."""
    data = source.model_dump() if isinstance(source, contract.Subscription) else source
    fields = SubscriptionTerms.model_fields
    terms = SubscriptionTerms.model_validate({f: data[f] for f in fields if f in data})
    return terms.model_dump(mode="json", exclude_none=True)


def _body(props: dict[str, Any], managed: bool = True) -> contract.SubscriptionBody:
    """The terms as declared, marked as this state's unless `managed` is False."""
    owner = (owner_of(props) or None) if managed else None
    return contract.SubscriptionBody.model_validate({**_terms(props), "managed_by": owner})


class SubscriptionProvider(ObjectProvider[contract.Subscription]):
    """CRUD of a subscription, checking the tenant-wide rules against the live tenant."""

    inputs_model = SubscriptionInputs
    kind = "Subscription"

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate, and add the status the declared dates give on the provisioning clock:
        `diff` holds the live status to it, so a subscription that expired or was cancelled
        in the backend shows on refresh and in the preview."""
        result = super().check(olds, news)
        inputs = result.inputs
        if not result.failures and not not_known_yet(
            [*(inputs.get(f) for f in _TERM_FIELDS), inputs.get(CONNECTION)]
        ):
            declared = domain.Subscription(**_terms(inputs))
            inputs[STATUS] = rules.subscription_status(declared, self.provisioning_today()).value
        return result

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        result = super().diff(id_, olds, news)
        expected, live = news.get(STATUS), olds.get(STATUS)
        if result.changes or expected is None or live is None or expected == live:
            return result
        return DiffResult(changes=True, replaces=[], delete_before_replace=False)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The live subscription; its status is among the inputs that match it, so that a
        refresh shows a status change as a change of that input."""
        result = super().read(id_, props)
        if result.outs and result.inputs is not None:
            result.inputs[STATUS] = result.outs[STATUS]
        return result

    def live_failures(self, olds: dict[str, Any], inputs: dict[str, Any]) -> list[CheckFailure]:
        replaced = self._replacement_failures(olds, inputs)
        if replaced:
            return replaced
        changed = olds.get("telephony") and rules.telephony_change_violation(
            f"Subscription {inputs['external_id']}",
            Telephony(olds["telephony"]),
            Telephony(inputs["telephony"]),
        )
        if changed:
            return [CheckFailure("telephony", str(changed))]
        return self._tenant_rule_failures(inputs)

    def _replacement_failures(
        self, olds: dict[str, Any], inputs: dict[str, Any]
    ) -> list[CheckFailure]:
        """A change that makes the subscription a new order replaces it, which deletes the
        old order: refused while users hold its licenses, so that the preview says so rather
        than the update stopping half-way, and no user loses access."""
        replaces = (diff_inputs(self.inputs_model, olds, inputs).replaces or []) if olds else []
        if not replaces:
            return []
        old = self.client.find_subscription(olds["tenant_id"], olds["external_id"])
        if old is None:
            return []
        holders = self._users_on(old.tenant_id, old.id)
        if not holders:
            return []
        field, external_id = replaces[0], olds["external_id"]
        return [
            CheckFailure(
                field,
                f"Subscription {external_id}: changing {to_camel(field)} makes it a new order, "
                f"which replaces {external_id}, while {describe_users(holders)} hold its "
                f"licenses. Fix: remap them to another subscription first, then change "
                f"{to_camel(field)}.",
            )
        ]

    def _users_on(self, tenant_id: str, sub_id: str) -> list[contract.User]:
        """The users holding a license of the subscription."""
        return [u for u in self.client.list_users(tenant_id) if u.subscription_id == sub_id]

    def _tenant_rule_failures(self, inputs: dict[str, Any]) -> list[CheckFailure]:
        """The live tenant decides the telephony option and license model (its first
        subscription chose them, perhaps outside this stack): check the new terms against it.
        A subscription cancelled in the backend cannot be declared back to life."""
        tenant = self.client.get_tenant(inputs["tenant_id"])
        if tenant is None:
            return []
        external_id = inputs["external_id"]
        live = list(self.client.list_subscriptions(tenant.id))
        if any(s.external_id == external_id and s.cancelled for s in live):
            return [
                CheckFailure(
                    STATUS,
                    f"Subscription {external_id} was cancelled in {self.settings.describe()}, "
                    "and a cancelled order cannot be reactivated. Fix: remap its users to an "
                    f"active subscription, then remove {external_id} from ccprovider:tenant.",
                )
            ]
        # Expired and cancelled orders no longer decide the tenant's option and model.
        in_force = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PENDING)
        others = [s for s in live if s.external_id != external_id and s.status in in_force]
        terms = [*others, SubscriptionTerms.model_validate(_terms(inputs))]
        violations = [
            *rules.telephony_violations(terms, tenant.telephony),
            *rules.license_model_violations(terms, tenant.license_model if others else None),
        ]
        field = {"single-telephony": "telephony", "single-license-model": "license_model"}
        return [
            CheckFailure(field[v.rule], str(v)) for v in violations if v.objects == (external_id,)
        ]

    def create_new(self, props: dict[str, Any]) -> contract.Subscription:
        """Create only while the tenant is unchanged. Subscriptions racing to be a tenant's
        first cannot both choose its telephony option (which the backend, like the vendor,
        would accept silently): the losers see the winner's option and fail clearly."""
        tenant_id, body = props["tenant_id"], _body(props)
        for _ in range(_GUARD_ATTEMPTS):
            tenant, version = self.client.get_tenant_version(tenant_id)
            violations = rules.telephony_violations([body], tenant.telephony)
            if violations:
                raise ProviderError(f"{violations[0]} (tenant {tenant.name})")
            try:
                return self.client.create_subscription(
                    tenant_id, body, if_match=version, salt=salt(props)
                )
            except PreconditionFailedError:
                continue
        raise ProviderError(
            f"Tenant {tenant_id} kept changing while subscription {body.external_id} was being "
            "created; run `pulumi up` again."
        )

    def find_existing(self, props: dict[str, Any]) -> contract.Subscription | None:
        return self.client.find_subscription(props["tenant_id"], props["external_id"])

    def put_unmanaged(self, id_: str, props: dict[str, Any]) -> None:
        self.client.replace_subscription(props["tenant_id"], id_, _body(props, managed=False))

    def converge(
        self, obj: contract.Subscription, props: dict[str, Any], adopted: bool
    ) -> contract.Subscription:
        if not adopted:
            return obj
        return self.client.replace_subscription(props["tenant_id"], obj.id, _body(props))

    def fetch(self, id_: str, props: dict[str, Any]) -> contract.Subscription | None:
        return self.client.get_subscription(props["tenant_id"], id_)

    def outputs(self, obj: contract.Subscription, props: dict[str, Any]) -> dict[str, Any]:
        return {
            **_terms(obj),
            "tenant_id": obj.tenant_id,
            **engine_values(props),
            "subscription_id": obj.id,
            "end_date": obj.end_date.isoformat(),
            "status": obj.status.value,
            "is_primary": obj.is_primary,
        }

    def replace(
        self, id_: str, _olds: dict[str, Any], news: dict[str, Any]
    ) -> contract.Subscription:
        return self.client.replace_subscription(news["tenant_id"], id_, _body(news))

    def remove(self, id_: str, props: dict[str, Any]) -> None:
        """Delete the subscription, after releasing the users this stack left on it. Every
        resource of the stack that held one has let go by now (the engine deletes or moves
        dependents first, and `check` refuses a replacement while users hold the old order),
        so these were licensed by an `up` killed before it recorded them. Anyone else's
        users keep their access: the backend refuses, and the message names them."""
        tenant_id = props["tenant_id"]
        left_behind = released(
            [u for u in self._users_on(tenant_id, id_) if marked_by_stack(u, props)], props
        )
        if left_behind:
            self.client.bulk_assign(tenant_id, left_behind)
        try:
            self.client.delete_subscription(tenant_id, id_)
        except ConflictError as refused:
            raise ProviderError(
                f"Subscription {props['external_id']} cannot be deleted: {refused.message} "
                "Fix: remap those users to another subscription first."
            ) from None


class Subscription(ApiResource, provider=SubscriptionProvider):
    """A subscription; outputs its backend id, end date, status and primacy as last seen."""

    subscription_id: pulumi.Output[str]
    end_date: pulumi.Output[str]
    status: pulumi.Output[str]
    is_primary: pulumi.Output[bool]
