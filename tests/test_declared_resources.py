"""A resource is its inputs model: check, diff, replace and outputs follow from the model, so
a new field is validated, compared and replaced-on-change without other edits."""

from typing import Any

import pulumi
import pytest
from pulumi.output import Unknown

from ccprovider.resources import (
    LicenseAssignment,
    PartnerAccess,
    Subscription,
    SubscriptionInputs,
    SubscriptionProvider,
    TeamAssignments,
    Tenant,
)
from ccprovider.resources.inputs import (
    Replace,
    compared_fields,
    replace_fields,
    validate_inputs,
)

TERMS = {
    "external_id": "SUB-1",
    "department": "customer-care",
    "license_model": "named",
    "offer": "flex3",
    "telephony": "webex_calling",
    "start": "2025-01-01",
    "term_months": 36,
    "tenant_id": "t-1",
}


class ExtendedInputs(SubscriptionInputs):
    """A subscription with two new fields, one of them replace-on-change."""

    region: str = "eu"
    contract_number: Replace[str] = "C-1"


class ExtendedProvider(SubscriptionProvider):
    inputs_model = ExtendedInputs


def test_replace_fields_are_marked_on_the_fields() -> None:
    assert replace_fields(SubscriptionInputs) == {
        "tenant_id",
        "external_id",
        "license_model",
        "start",
    }
    assert "adopt" not in compared_fields(SubscriptionInputs)


def test_a_new_field_is_validated_compared_and_replaced_without_other_edits() -> None:
    provider = ExtendedProvider()
    old, failures = validate_inputs(ExtendedInputs, TERMS)

    invalid = provider.check({}, {**TERMS, "region": 7})
    in_place = provider.diff("id-1", old, {**old, "region": "us"})
    replaced = provider.diff("id-1", old, {**old, "contract_number": "C-2"})
    unknown = provider.diff("id-1", old, {**old, "region": Unknown()})

    assert (failures, old["region"], old["contract_number"]) == ([], "eu", "C-1")
    assert [f.property for f in invalid.failures] == ["region"]
    assert (in_place.changes, in_place.replaces) == (True, [])
    assert (replaced.changes, replaced.replaces) == (True, ["contract_number"])
    assert replaced.delete_before_replace  # same natural key: the old one goes first
    assert unknown.changes


def test_a_replacement_under_a_new_natural_key_creates_before_deleting() -> None:
    provider = SubscriptionProvider()
    old, _ = validate_inputs(SubscriptionInputs, TERMS)

    result = provider.diff("id-1", old, {**old, "external_id": "SUB-9"})

    assert result.replaces == ["external_id"]
    assert not result.delete_before_replace


@pytest.mark.parametrize(
    ("resource", "computed"),
    [
        (Tenant, ("tenant_id", "created_at")),
        (Subscription, ("subscription_id", "end_date", "status", "is_primary")),
        (PartnerAccess, ("partner_id",)),
        (LicenseAssignment, ()),
        (TeamAssignments, ("adopted_users",)),
    ],
)
def test_computed_outputs_are_the_declared_outputs_beyond_the_inputs(
    resource: Any, computed: tuple[str, ...]
) -> None:
    assert resource.computed == computed


class NoMocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, []


def test_an_unknown_or_missing_input_names_the_resource_and_the_valid_inputs() -> None:
    pulumi.runtime.set_mocks(NoMocks(), project="ccprovider", stack="test", preview=False)

    with pytest.raises(TypeError) as raised:
        Tenant("tenant", {"name": "acme-dev", "offer": "flex3", "telefony": "vpop"})

    message = str(raised.value)
    assert "Tenant 'tenant'" in message
    assert "unknown input(s) telefony" in message
    assert "missing input(s) telephony" in message
    listed = message.partition("Its inputs are: ")[2].rstrip(".").split(", ")
    assert sorted(listed) == ["adopt", "hybrid", "name", "offer", "take_over", "telephony"]


def test_a_field_added_with_a_default_does_not_diff_against_older_states() -> None:
    provider = ExtendedProvider()
    news, _ = validate_inputs(ExtendedInputs, TERMS)
    written_before = {k: v for k, v in news.items() if k not in {"region", "contract_number"}}

    assert not provider.diff("id-1", written_before, news).changes
    assert provider.diff("id-1", written_before, {**news, "region": "us"}).changes
