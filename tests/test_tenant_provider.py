"""The Tenant provider's hooks, called directly as the engine calls them.

HTTP is answered by requests-mock, except in the embedded-mode test, which goes
through the real embedded backend.
"""

import base64
from pathlib import Path
from typing import Any

import dill
import pytest
import requests_mock
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import Unknown

from ccprovider import contract
from ccprovider.backend.service import ProvisioningService
from ccprovider.backend.storage import open_store
from ccprovider.resources.failures import ProviderError
from ccprovider.resources.tenant import TenantProvider
from tests.helpers import (
    PEOPLE,
    SCIM_VERSION,
    answer_users,
    changes,
    live_tenant,
    live_user,
    page,
    vendor_error,
    wire,
)

BASE = "http://backend.test"
TENANTS = f"{BASE}/v1/simulator/tenants"
SETTINGS = {"name": "acme-dev", "offer": "flex3", "hybrid": False}
OWNER = "proj/dev@s-1"
"""The state the resources below belong to: stack proj/dev, state s-1."""
SENT = {**SETTINGS, "managedBy": OWNER}
"""What the provider sends for the tenant INPUTS declare: marked as the state's."""
INPUTS = {**SETTINGS, "telephony": "webex_calling", "adopt": False}
ENGINE = {"owner": "proj/dev", "state": "s-1"}
OUTPUTS = {
    **INPUTS,
    "take_over": False,
    **ENGINE,
    "adopted": False,
    "tenant_id": "t-1",
    "created_at": "2026-01-01T09:00:00+00:00",
}


def live(**fields: Any) -> contract.Tenant:
    """The tenant that INPUTS declare, as the backend answers it; `fields` differ from it."""
    return live_tenant(**{**SETTINGS, "telephony": "webex_calling", **fields})


def configured(config: dict[str, Any]) -> TenantProvider:
    provider = TenantProvider()
    provider.configure(ConfigureRequest(Config(config, "ccprovider")))
    return provider


@pytest.fixture
def provider() -> TenantProvider:
    return configured({"ccprovider:endpoint": BASE})


# check


def test_check_normalizes_and_fills_defaults(provider: TenantProvider) -> None:
    declared = {"name": "  acme-dev ", "offer": "flex3", "hybrid": None}
    with requests_mock.Mocker() as mock:
        mock.get(f"{TENANTS}?name=acme-dev", json=wire(page()))  # a create: is it taken?
        result = provider.check({}, {**declared, "telephony": "webex_calling", **ENGINE})

    assert result.failures == []
    assert result.inputs == {**INPUTS, "take_over": False, **ENGINE}


def test_check_drops_output_placeholders(provider: TenantProvider) -> None:
    news = {**INPUTS, "tenant_id": None, "created_at": None}

    assert provider.check(INPUTS, news).inputs == {**INPUTS, "take_over": False}


@pytest.mark.parametrize(
    ("manager", "declared", "refusal"),
    [
        (
            "proj/dev@s-0",
            {},
            "Tenant 'acme-dev' is managed by another state of stack proj/dev. Fix: import "
            "that stack's state (README: moving a stack), or set `adopt: true` and "
            "`takeOver: true` in ccprovider:tenant to take it over.",
        ),
        ("proj/dev@s-0", {"adopt": True}, "is managed by another state of stack proj/dev"),
        ("proj/prod@s-9", {"adopt": True}, "is managed by stack proj/prod. Fix: declare it"),
        (None, {}, "Tenant 'acme-dev' already exists in http://backend.test"),
        ("proj/dev@s-1", {}, None),  # an earlier run of this state created it
        (None, {"adopt": True}, None),
        ("proj/prod@s-9", {"adopt": True, "take_over": True}, None),
    ],
)
def test_a_create_is_refused_at_check_where_it_would_be_refused(
    provider: TenantProvider, manager: str | None, declared: dict[str, Any], refusal: str | None
) -> None:
    """The preview refuses what the update would: a tenant of another state, another stack
    or none, unless adopted (and taken over); a new state, whose id is not known yet,
    owns nothing."""
    with requests_mock.Mocker() as mock:
        mock.get(f"{TENANTS}?name=acme-dev", json=wire(page(live(managed_by=manager))))
        result = provider.check({}, {**INPUTS, **ENGINE, **declared})
        new_state = provider.check({}, {**INPUTS, **ENGINE, **declared, "state": Unknown()})

    reasons = [f.reason for f in result.failures]
    assert reasons == ([] if refusal is None else [reasons[0]])
    if refusal is not None:
        assert refusal in reasons[0]
        assert [f.property for f in result.failures] == ["name"]
    assert bool(new_state.failures) == (refusal is not None or manager == OWNER)


@pytest.mark.parametrize(
    ("news", "field", "fragment"),
    [
        ({**INPUTS, "offer": "flex4"}, "offer", "'flex' or 'flex3'"),
        ({**INPUTS, "name": "Acme Dev"}, "name", "pattern"),
        ({**INPUTS, "name": "x" * 64}, "name", "at most 63"),
        ({"offer": "flex", "telephony": "vpop"}, "name", "required"),
        ({**INPUTS, "hybrid": "sometimes"}, "hybrid", "boolean"),
    ],
)
def test_check_names_the_invalid_field(
    provider: TenantProvider, news: dict[str, Any], field: str, fragment: str
) -> None:
    failures = provider.check({}, news).failures

    assert [f.property for f in failures] == [field]
    assert fragment in failures[0].reason
    assert f"'{field}'" in failures[0].reason


def test_check_passes_unknown_values_through_and_validates_the_rest(
    provider: TenantProvider,
) -> None:
    unknown = Unknown()

    ok = provider.check({}, {**INPUTS, "name": unknown})
    bad = provider.check({}, {**INPUTS, "name": unknown, "offer": "flex9"})

    assert ok.failures == []
    assert ok.inputs["name"] is unknown
    assert [f.property for f in bad.failures] == ["offer"]


# diff


def test_diff_without_changes(provider: TenantProvider) -> None:
    result = provider.diff("t-1", OUTPUTS, dict(INPUTS))

    assert result.changes is False
    assert result.replaces == []


def test_diff_of_one_field_is_an_in_place_update(provider: TenantProvider) -> None:
    result = provider.diff("t-1", OUTPUTS, {**INPUTS, "hybrid": True})

    assert result.changes is True
    assert result.replaces == []


def test_a_state_of_an_earlier_release_is_an_update_that_marks_its_objects_again(
    provider: TenantProvider,
) -> None:
    """A state written before states had an id: its next update marks the tenant and the
    users its resources released as the state's (each resource marks its own objects)."""
    legacy = {k: v for k, v in OUTPUTS.items() if k != "state"}
    released = live_user("left@acme.example", [], id="u-left", external_id="proj/dev#")
    held = live_user("held@acme.example", ["s-1:admin"], external_id="proj/dev#user:held")
    with requests_mock.Mocker() as mock:
        mock.put(f"{TENANTS}/t-1", json=wire(live(managed_by=OWNER)))
        answer_users(mock, released, held)
        new_identity = {**INPUTS, "owner": "proj/dev", "state": Unknown()}  # at preview
        previewed = provider.diff("t-1", legacy, new_identity)
        provider.update("t-1", legacy, {**INPUTS, **ENGINE})

    assert previewed.changes is True
    assert provider.diff("t-1", OUTPUTS, {**INPUTS, **ENGINE}).changes is False
    (_, _, put), (method, path, remarked) = changes(mock)
    assert put == SENT
    # Only the user the state's resources released, and only while they are as listed.
    assert (method, path) == ("PATCH", "/identity/scim/t-1/v2/users/u-left")
    mark = {"op": "replace", "path": "externalId", "value": f"{OWNER}#"}
    assert remarked["Operations"][1] == mark
    [scim_patch] = [r for r in mock.request_history if r.method == "PATCH"]
    assert scim_patch.headers["If-Match"] == SCIM_VERSION


def test_diff_treats_unknown_values_as_changes(provider: TenantProvider) -> None:
    assert provider.diff("t-1", OUTPUTS, {**INPUTS, "name": Unknown()}).changes is True


# create, read, update, delete


def test_create_posts_the_inputs_with_an_idempotency_key_and_returns_all_outputs(
    provider: TenantProvider,
) -> None:
    with requests_mock.Mocker() as mock:
        mock.post(TENANTS, status_code=201, json=wire(live()))
        result = provider.create({**INPUTS, **ENGINE})

    assert mock.last_request.json() == SENT
    assert len(mock.last_request.headers["Idempotency-Key"]) == 64
    assert result.id == "t-1"
    assert result.outs == OUTPUTS


def test_create_of_an_existing_name_says_how_to_adopt_it(provider: TenantProvider) -> None:
    with requests_mock.Mocker() as mock:
        mock.post(TENANTS, status_code=409, json=wire(vendor_error("exists")))
        mock.get(f"{TENANTS}?name=acme-dev", json=wire(page(live())))
        with pytest.raises(ProviderError) as raised:
            provider.create(dict(INPUTS))

    assert [r.method for r in mock.request_history] == ["POST", "GET"]
    message = str(raised.value)
    assert "Tenant 'acme-dev' already exists in http://backend.test" in message
    assert "Set `adopt: true` in ccprovider:tenant" in message


def test_adopt_takes_over_the_existing_tenant_by_name(provider: TenantProvider) -> None:
    with requests_mock.Mocker() as mock:
        mock.post(TENANTS, status_code=409, json=wire(vendor_error("exists")))
        mock.get(f"{TENANTS}?name=acme-dev", json=wire(page(live(hybrid=True))))
        mock.put(f"{TENANTS}/t-1", json=wire(live()))
        result = provider.create({**INPUTS, **ENGINE, "adopt": True})

    assert [r.method for r in mock.request_history] == ["POST", "GET", "PUT"]
    assert mock.last_request.json() == SENT
    assert result.id == "t-1"
    assert result.outs == {**OUTPUTS, "adopt": True, "adopted": True}


def test_changing_the_telephony_of_a_tenant_with_subscriptions_fails_check(
    provider: TenantProvider,
) -> None:
    with requests_mock.Mocker() as mock:
        mock.get(f"{TENANTS}?name=acme-dev", json=wire(page(live())))
        result = provider.check(INPUTS, {**INPUTS, "telephony": "vpop"})

    [failure] = result.failures
    assert failure.property == "telephony"
    assert "uses telephony webex_calling" in failure.reason
    assert "changing it to vpop" in failure.reason
    assert "Fix: declare telephony: webex_calling" in failure.reason
    assert "vendor support" in failure.reason


def test_the_telephony_of_a_tenant_without_subscriptions_may_change(
    provider: TenantProvider,
) -> None:
    with requests_mock.Mocker() as mock:
        mock.get(f"{TENANTS}?name=acme-dev", json=wire(page(live(telephony=None))))
        result = provider.check(INPUTS, {**INPUTS, "telephony": "vpop"})

    assert result.failures == []


def test_read_returns_live_outputs_and_matching_inputs(provider: TenantProvider) -> None:
    drifted = live(offer="flex")
    with requests_mock.Mocker() as mock:
        mock.get(f"{TENANTS}/t-1", json=wire(drifted))
        result = provider.read("t-1", OUTPUTS)

    assert result.id == "t-1"
    assert result.outs == {**OUTPUTS, "offer": "flex"}
    assert result.inputs == {**INPUTS, "offer": "flex", **ENGINE, "take_over": False}


def test_read_of_a_removed_tenant_reports_it_gone(provider: TenantProvider) -> None:
    with requests_mock.Mocker() as mock:
        mock.get(f"{TENANTS}/t-1", status_code=404, json=wire(vendor_error("not found")))
        result = provider.read("t-1", OUTPUTS)

    assert result.id is None
    assert result.outs == {}


def test_update_puts_the_new_inputs(provider: TenantProvider) -> None:
    with requests_mock.Mocker() as mock:
        mock.put(f"{TENANTS}/t-1", json=wire(live(hybrid=True)))
        result = provider.update("t-1", OUTPUTS, {**INPUTS, **ENGINE, "hybrid": True})

    assert mock.last_request.json() == {**SENT, "hybrid": True}
    assert result.outs == {**OUTPUTS, "hybrid": True}


def test_delete_tolerates_an_already_removed_tenant(provider: TenantProvider) -> None:
    with requests_mock.Mocker() as mock:
        mock.get(PEOPLE, status_code=404, json=wire(vendor_error("not found")))
        provider.delete("t-1", OUTPUTS)

    assert mock.call_count == 1


def test_delete_removes_the_unlicensed_users_the_stack_left_behind_first(
    provider: TenantProvider,
) -> None:
    def user(email: str, mark: str | None) -> contract.User:
        local = email.partition("@")[0]
        return live_user(email, [], id=local, role="admin", agent_profile=None, external_id=mark)

    held = live_user("held@acme.example", ["s-1:admin"], role="admin", agent_profile=None)
    users = [
        user("released@acme.example", "proj/dev#"),
        user("orphan@acme.example", "proj/dev#user:orphan@acme.example"),
        user("handed-back@acme.example", None),
        user("theirs@acme.example", "proj/prod#user:theirs@acme.example"),
        held.model_copy(update={"external_id": "proj/dev#user:held@acme.example"}),
    ]
    with requests_mock.Mocker() as mock:
        answer_users(mock, *users)
        mock.delete(f"{TENANTS}/t-1", status_code=204)
        # A state of an earlier release: its owner is the stack's name alone.
        provider.delete("t-1", {k: v for k, v in OUTPUTS.items() if k != "state"})

    # The users' deletes run side by side, in either order; the tenant's comes last.
    *deleted_users, deleted_tenant = [
        (r.method, r.path, r.headers.get("If-Match"))
        for r in mock.request_history
        if r.method != "GET"
    ]
    assert sorted(deleted_users) == [
        ("DELETE", "/identity/scim/t-1/v2/users/orphan", SCIM_VERSION),
        ("DELETE", "/identity/scim/t-1/v2/users/released", SCIM_VERSION),
    ]
    assert deleted_tenant == ("DELETE", "/v1/simulator/tenants/t-1", None)


def test_delete_surfaces_other_errors(provider: TenantProvider) -> None:
    with requests_mock.Mocker() as mock:
        answer_users(mock)
        mock.delete(f"{TENANTS}/t-1", status_code=403, json=wire(vendor_error("Read-only access.")))
        with pytest.raises(Exception, match="Read-only access"):
            provider.delete("t-1", OUTPUTS)


# embedded mode and serialization


def test_embedded_mode_serves_the_http_contract_from_the_configured_file(tmp_path: Path) -> None:
    db = tmp_path / "embedded.sqlite3"
    provider = configured({"ccprovider:endpoint": "", "ccprovider:backendFile": str(db)})

    created = provider.create(dict(INPUTS))

    assert provider.client.base_url.startswith("http://127.0.0.1:")
    stored = ProvisioningService(open_store(db)).get_tenant(created.id).value
    assert stored.name == "acme-dev"
    assert provider.read(created.id, created.outs or {}).outs == created.outs


def test_provider_serializes_by_reference_and_identically() -> None:
    first = serialize_provider(TenantProvider())
    second = serialize_provider(TenantProvider())

    assert first == second
    pickled = base64.b64decode(first)
    assert b"ccprovider.resources.tenant" in pickled
    assert len(pickled) < 200, "the provider must be pickled by reference, not by value"
    assert isinstance(dill.loads(pickled), TenantProvider)
