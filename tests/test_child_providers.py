"""The Subscription, LicenseAssignment and PartnerAccess providers' hooks, called directly as
the engine calls them, with requests-mock answering for the backend."""

from datetime import date
from typing import Any

import pytest
import requests_mock
from pulumi.output import Unknown

from ccprovider import contract
from ccprovider.resources import (
    LicenseAssignmentProvider,
    PartnerAccessProvider,
    SubscriptionProvider,
)
from ccprovider.resources.failures import ProviderError
from ccprovider.resources.inputs import validate_inputs
from ccprovider.resources.subscription import SubscriptionInputs
from ccprovider.scim_contract import ScimUserBody
from tests.helpers import (
    LICENSE_PATCH,
    LICENSES,
    PEOPLE,
    SCIM_USERS,
    SCIM_VERSION,
    TENANT_URL,
    answer_users,
    configured,
    license_patch_answer,
    live_partner,
    live_subscription,
    live_tenant,
    live_user,
    page,
    provisioning_date,
    scim_user,
    vendor_error,
    wire,
)


def methods(mock: requests_mock.Mocker) -> list[str]:
    return [f"{r.method} {r.path}" for r in mock.request_history]


def user_changes(mock: requests_mock.Mocker) -> list[tuple[Any, ...]]:
    """What was done to users, in order: ("mark", user id, the new mark or None) for
    a SCIM PATCH, ("delete", user id) for a SCIM delete, ("licenses", operations) for a
    license PATCH."""
    done: list[tuple[Any, ...]] = []
    for request in mock.request_history:
        user_id = request.path.rpartition("/")[2]
        if request.path.startswith("/identity/") and request.method == "PATCH":
            [mark] = [op for op in request.json()["Operations"] if op.get("path") == "externalId"]
            done.append(("mark", user_id, mark.get("value")))
        elif request.path.startswith("/identity/") and request.method == "DELETE":
            done.append(("delete", user_id))
        elif request.path == "/v1/licenses/users":
            ops = [(op["operation"], op["id"]) for op in request.json()["licenses"]]
            done.append(("licenses", ops))
    return done


# Subscription

TERMS = {
    "external_id": "SUB-2",
    "department": "workforce-planning",
    "license_model": "named",
    "offer": "flex3",
    "telephony": "webex_calling",
    "start": "2025-06-01",
    "term_months": 24,
    "entitlements": {"standard_agents": 15},
}
SUB_INPUTS = {**TERMS, "tenant_id": "t-1"}


@pytest.fixture
def subscriptions() -> SubscriptionProvider:
    return configured(SubscriptionProvider())


def test_subscription_check_normalizes_terms(subscriptions: SubscriptionProvider) -> None:
    news = {**SUB_INPUTS, "tenant_id": Unknown(), "start": "2025-06-01", "subscription_id": None}

    with requests_mock.Mocker() as mock:
        provisioning_date(mock, date(2026, 1, 1))
        result = subscriptions.check({}, news)

    assert result.failures == []
    assert result.inputs["entitlements"]["wfo"] == 0
    assert result.inputs["billing"] == {"cycle": "annual"}
    assert "subscription_id" not in result.inputs


@pytest.mark.parametrize(
    ("today", "status"),
    [(date(2025, 5, 31), "pending"), (date(2027, 5, 31), "active"), (date(2027, 6, 1), "expired")],
)
def test_subscription_check_expects_the_status_of_the_provisioning_date(
    subscriptions: SubscriptionProvider, today: date, status: str
) -> None:
    with requests_mock.Mocker() as mock:
        provisioning_date(mock, today)
        result = subscriptions.check({}, {**SUB_INPUTS, "tenant_id": Unknown()})

    assert result.inputs["status"] == status


def test_a_subscription_whose_live_status_differs_from_the_expected_one_has_changes(
    subscriptions: SubscriptionProvider,
) -> None:
    with requests_mock.Mocker() as mock:
        provisioning_date(mock, date(2027, 6, 1))
        news = subscriptions.check({}, {**SUB_INPUTS, "tenant_id": Unknown()}).inputs
    news["tenant_id"] = "t-1"

    # What a refresh compares (live outputs against the inputs of the last update) ...
    assert subscriptions.diff("id-SUB-2", {**news, "status": "active"}, news).changes is True
    # ... and a state written before the status was expected: nothing to compare.
    assert subscriptions.diff("id-SUB-2", news, {**news, "status": None}).changes is False
    assert subscriptions.diff("id-SUB-2", news, dict(news)).changes is False


def test_a_subscription_cancelled_in_the_backend_fails_check_with_the_fix(
    subscriptions: SubscriptionProvider,
) -> None:
    with requests_mock.Mocker() as mock:
        provisioning_date(mock, date(2026, 1, 1))
        mock.get(TENANT_URL, json=wire(live_tenant(telephony="webex_calling")))
        cancelled = live_subscription("SUB-2", cancelled=True, status="cancelled")
        mock.get(f"{TENANT_URL}/subscriptions", json=wire(page(cancelled)))
        result = subscriptions.check({}, dict(SUB_INPUTS))

    [failure] = result.failures
    assert failure.property == "status"
    assert "Subscription SUB-2 was cancelled in http://backend.test" in failure.reason
    assert "then remove SUB-2 from ccprovider:tenant" in failure.reason


def test_a_subscription_whose_telephony_differs_from_the_live_tenant_fails_check(
    subscriptions: SubscriptionProvider,
) -> None:
    with requests_mock.Mocker() as mock:
        mock.get(TENANT_URL, json=wire(live_tenant(telephony="vpop", license_model="named")))
        mock.get(
            f"{TENANT_URL}/subscriptions",
            json=wire(page(live_subscription("SUB-1", telephony="vpop"))),
        )
        result = subscriptions.check({}, dict(SUB_INPUTS))

    [failure] = result.failures
    assert failure.property == "telephony"
    assert "SUB-2 uses telephony webex_calling" in failure.reason
    assert "option is vpop (as on SUB-1)" in failure.reason
    assert "vendor support" in failure.reason


def test_a_subscription_whose_license_model_differs_from_the_live_tenant_fails_check(
    subscriptions: SubscriptionProvider,
) -> None:
    with requests_mock.Mocker() as mock:
        mock.get(
            TENANT_URL,
            json=wire(live_tenant(telephony="webex_calling", license_model="concurrent")),
        )
        sub1 = live_subscription("SUB-1", license_model="concurrent")
        mock.get(f"{TENANT_URL}/subscriptions", json=wire(page(sub1)))
        result = subscriptions.check({}, dict(SUB_INPUTS))

    [failure] = result.failures
    assert failure.property == "license_model"
    assert "concurrent and named subscriptions cannot be mixed" in failure.reason


def test_an_expired_order_of_another_license_model_does_not_fail_check(
    subscriptions: SubscriptionProvider,
) -> None:
    with requests_mock.Mocker() as mock:
        provisioning_date(mock, date(2026, 1, 1))
        mock.get(TENANT_URL, json=wire(live_tenant()))
        expired = live_subscription("SUB-OLD", license_model="concurrent", status="expired")
        mock.get(f"{TENANT_URL}/subscriptions", json=wire(page(expired)))
        mock.get(f"{TENANT_URL}/subscriptions?externalId=SUB-2", json=wire(page()))
        result = subscriptions.check({}, dict(SUB_INPUTS))

    assert result.failures == []


def test_changing_a_subscriptions_telephony_fails_check_without_asking_the_backend(
    subscriptions: SubscriptionProvider,
) -> None:
    with requests_mock.Mocker() as mock:
        result = subscriptions.check(dict(SUB_INPUTS), {**SUB_INPUTS, "telephony": "vpop"})

    assert mock.call_count == 0
    [failure] = result.failures
    assert "tenant-wide change that goes through vendor support" in failure.reason


@pytest.mark.parametrize(
    ("change", "replaces", "delete_first"),
    [
        ({"term_months": 36}, [], False),
        ({"entitlements": {"standard_agents": 20}}, [], False),
        ({"license_model": "concurrent"}, ["license_model"], True),
        ({"external_id": "SUB-3"}, ["external_id"], False),
    ],
)
def test_subscription_diff(
    subscriptions: SubscriptionProvider,
    change: dict[str, Any],
    replaces: list[str],
    delete_first: bool,
) -> None:
    with requests_mock.Mocker() as mock:
        provisioning_date(mock, date(2026, 1, 1))
        olds = subscriptions.check({}, {**SUB_INPUTS, "tenant_id": Unknown()}).inputs
        news = subscriptions.check({}, {**SUB_INPUTS, "tenant_id": Unknown(), **change}).inputs
    olds["tenant_id"] = news["tenant_id"] = "t-1"

    result = subscriptions.diff("id-SUB-2", olds, news)

    assert result.changes is True
    assert result.replaces == replaces
    assert bool(result.delete_before_replace) is delete_first
    assert subscriptions.diff("id-SUB-2", olds, dict(olds)).changes is False


def test_a_subscription_that_already_exists_is_adopted_only_on_request(
    subscriptions: SubscriptionProvider,
) -> None:
    existing = live_subscription("SUB-2", start="2025-06-01", term_months=24)
    with requests_mock.Mocker() as mock:
        mock.get(
            TENANT_URL, json=wire(live_tenant(telephony="webex_calling")), headers={"ETag": '"3"'}
        )
        mock.post(
            f"{TENANT_URL}/subscriptions",
            status_code=409,
            json=wire(vendor_error("exists")),
        )
        mock.get(f"{TENANT_URL}/subscriptions?externalId=SUB-2", json=wire(page(existing)))
        mock.put(f"{TENANT_URL}/subscriptions/id-SUB-2", json=wire(existing))
        with pytest.raises(ProviderError, match="Subscription SUB-2 already exists"):
            subscriptions.create(dict(SUB_INPUTS))
        refused = methods(mock)
        adopted = subscriptions.create({**SUB_INPUTS, "adopt": True})

    assert refused == [
        "GET /v1/simulator/tenants/t-1",
        "POST /v1/simulator/tenants/t-1/subscriptions",
        "GET /v1/simulator/tenants/t-1/subscriptions",
    ]
    assert adopted.id == "id-SUB-2"
    assert mock.last_request.method == "PUT"


def test_a_create_waits_out_a_racing_first_subscription_and_then_fails_clearly(
    subscriptions: SubscriptionProvider,
) -> None:
    """The tenant changed between the read and the create (412): read again, and refuse
    because the winner chose another telephony option."""
    with requests_mock.Mocker() as mock:
        mock.get(
            TENANT_URL,
            [
                {"json": wire(live_tenant()), "headers": {"ETag": '"1"'}},
                {"json": wire(live_tenant(telephony="vpop")), "headers": {"ETag": '"2"'}},
            ],
        )
        mock.post(
            f"{TENANT_URL}/subscriptions",
            status_code=412,
            json=wire(vendor_error("The tenant changed.")),
        )
        with pytest.raises(ProviderError, match="the tenant's option is vpop"):
            subscriptions.create(dict(SUB_INPUTS))

    assert mock.request_history[1].headers["If-Match"] == '"1"'
    assert [r.method for r in mock.request_history] == ["GET", "POST", "GET"]


def test_deleting_a_subscription_that_carries_others_users_reports_the_backends_reason(
    subscriptions: SubscriptionProvider,
) -> None:
    theirs = live_user(
        "agent1@acme.example", ["id-SUB-2:standard-agent"], external_id="other/prod#user:a"
    )
    with requests_mock.Mocker() as mock:
        answer_users(mock, theirs)
        mock.delete(
            f"{TENANT_URL}/subscriptions/id-SUB-2",
            status_code=409,
            json=wire(
                vendor_error(
                    "Subscription SUB-2 still carries 1 user(s): agent1@acme.example.",
                    "Remap them to another subscription first.",
                )
            ),
        )
        with pytest.raises(ProviderError) as refused:
            subscriptions.delete("id-SUB-2", {**SUB_INPUTS, "owner": "proj/dev"})

    assert "Subscription SUB-2 cannot be deleted: Subscription SUB-2 still carries 1 user" in str(
        refused.value
    )
    assert "Fix: remap those users to another subscription first." in str(refused.value)
    assert user_changes(mock) == []  # another stack's user keeps their license


def test_deleting_a_subscription_first_releases_the_users_this_stack_left_on_it(
    subscriptions: SubscriptionProvider,
) -> None:
    lost = live_user(
        "lost@acme.example",
        ["id-SUB-2:standard-agent"],
        id="u-lost",
        external_id="proj/dev#user:lost",
    )
    on_another = live_user(
        "moved@acme.example",
        ["id-SUB-1:standard-agent"],
        id="u-moved",
        external_id="proj/dev#user:moved",
    )
    hand_made = live_user("own@acme.example", [], id="u-own", external_id=None)
    with requests_mock.Mocker() as mock:
        answer_users(mock, lost, on_another, hand_made)
        mock.patch(LICENSE_PATCH, **license_patch_answer(lost.model_copy(update={"licenses": []})))
        mock.delete(f"{TENANT_URL}/subscriptions/id-SUB-2", status_code=204)
        subscriptions.delete("id-SUB-2", {**SUB_INPUTS, "owner": "proj/dev"})

    assert user_changes(mock) == [
        # kept, marked as the stack's, for the tenant's delete to remove the account
        ("licenses", [("remove", "LIC-id-SUB-2:standard-agent")]),
        ("mark", "u-lost", "proj/dev#"),
    ]
    # requests-mock lower-cases paths
    assert methods(mock)[-1] == "DELETE /v1/simulator/tenants/t-1/subscriptions/id-sub-2"


def test_a_replacement_is_refused_while_users_hold_the_old_order(
    subscriptions: SubscriptionProvider,
) -> None:
    holders = [
        live_user(f"agent{i}@acme.example", ["id-SUB-2:standard-agent"], id=f"u-{i}")
        for i in range(7)
    ]
    with requests_mock.Mocker() as mock:
        answer_users(mock, *holders)
        provisioning_date(mock, date(2026, 1, 1))
        mock.get(
            f"{TENANT_URL}/subscriptions?externalId=SUB-2",
            json=wire(page(live_subscription("SUB-2"))),
        )
        result = subscriptions.check(SUB_INPUTS, {**SUB_INPUTS, "license_model": "concurrent"})

    [failure] = result.failures
    assert failure.property == "license_model"
    assert failure.reason == (
        "Subscription SUB-2: changing licenseModel makes it a new order, which replaces SUB-2, "
        "while 7 user(s) (agent0@acme.example, agent1@acme.example, agent2@acme.example, "
        "agent3@acme.example, agent4@acme.example and 2 more) hold its licenses. Fix: remap "
        "them to another subscription first, then change licenseModel."
    )


def test_a_resource_with_a_connection_of_its_own_reaches_that_backend(
    subscriptions: SubscriptionProvider,
) -> None:
    own = {"endpoint": "http://other.example:9", "token": "other-token"}
    props = {**SUB_INPUTS, "connection": own}
    with requests_mock.Mocker() as mock:
        mock.get(
            "http://other.example:9/v1/simulator/tenants/t-1/subscriptions/id-SUB-2",
            json=wire(live_subscription("SUB-2")),
        )
        result = subscriptions.read("id-SUB-2", props)

    [request] = mock.request_history
    assert request.headers["Authorization"] == "Bearer other-token"
    assert result.outs is not None
    assert result.outs["connection"] == own  # refresh and delete go there too
    assert result.inputs is not None and result.inputs["connection"] == own


def test_a_rotated_token_updates_the_outputs_in_place(
    subscriptions: SubscriptionProvider,
) -> None:
    checked, _ = validate_inputs(SubscriptionInputs, SUB_INPUTS)
    old = {**checked, "connection": {"endpoint": "http://other.example:9", "token": "old"}}
    rotated = {**old, "connection": {"endpoint": "http://other.example:9", "token": "new"}}

    moved = subscriptions.diff("id-SUB-2", old, rotated)
    same = subscriptions.diff("id-SUB-2", old, dict(old))

    assert (moved.changes, moved.replaces) == (True, [])
    assert same.changes is False


def test_a_removed_subscription_reads_as_gone(subscriptions: SubscriptionProvider) -> None:
    with requests_mock.Mocker() as mock:
        mock.get(
            f"{TENANT_URL}/subscriptions/id-SUB-2",
            status_code=404,
            json=wire(vendor_error("gone")),
        )
        assert subscriptions.read("id-SUB-2", SUB_INPUTS).id is None


# LicenseAssignment

ASSIGNMENT = {
    "tenant_id": "t-1",
    "email": "agent1@acme.example",
    "role": "agent",
    "agent_profile": "standard",
    "subscription": "SUB-1",
    "subscription_id": "id-SUB-1",
}


def agent1(licenses: list[str], **fields: Any) -> contract.User:
    """agent1 as the backend shows it, marked as ASSIGNMENT's (a stack without owner)."""
    mark = {"external_id": "#user:agent1@acme.example"}
    return live_user("agent1@acme.example", licenses, **{**mark, **fields})


def created_agent1(mock: requests_mock.Mocker, **fields: Any) -> None:
    """Answer SCIM's create of agent1 with agent1 holding no license."""
    user = agent1([], **fields)
    answer_users(mock, user, subscriptions=(live_subscription("SUB-1"),))
    mock.post(SCIM_USERS, status_code=201, json=wire(scim_user(user)))


@pytest.fixture
def assignments() -> LicenseAssignmentProvider:
    return configured(LicenseAssignmentProvider())


def test_the_mark_of_the_longest_address_in_the_longest_stack_names_is_one_the_backend_takes(
    assignments: LicenseAssignmentProvider,
) -> None:
    """Pulumi allows project and stack names of 100 characters, an address has up to 254:
    the mark that names all three must not be refused half-way through an update."""
    longest = "a" * 64 + "@" + ".".join(["b" * 61] * 3) + ".exa"
    declared = {**ASSIGNMENT, "email": longest, "owner": f"{'p' * 100}/{'s' * 100}"}
    with requests_mock.Mocker() as mock:
        created_agent1(mock)
        mock.patch(f"{SCIM_USERS}/u-1", json=wire(scim_user(agent1([]))))
        mock.patch(LICENSE_PATCH, **license_patch_answer(agent1([])))
        assignments.create(declared)

    [create] = [r for r in mock.request_history if r.method == "POST"]
    sent = ScimUserBody.model_validate(create.json())
    assert len(longest) == 254
    assert sent.external_id is not None and longest in sent.external_id


def test_mapping_a_user_to_an_expired_subscription_fails_check_with_alternatives(
    assignments: LicenseAssignmentProvider,
) -> None:
    with requests_mock.Mocker() as mock:
        mock.get(
            f"{TENANT_URL}/subscriptions/id-SUB-1",
            json=wire(live_subscription("SUB-1", status="expired")),
        )
        mock.get(
            f"{TENANT_URL}/subscriptions",
            json=wire(
                page(live_subscription("SUB-1", status="expired"), live_subscription("SUB-2"))
            ),
        )
        result = assignments.check({}, dict(ASSIGNMENT))

    [failure] = result.failures
    assert failure.property == "subscription"
    assert "agent1@acme.example is mapped to subscription SUB-1, which is expired" in failure.reason
    assert "map agent1@acme.example to an active subscription (SUB-2)" in failure.reason


def test_an_assignment_to_a_subscription_not_created_yet_checks_only_that_the_address_is_free(
    assignments: LicenseAssignmentProvider,
) -> None:
    with requests_mock.Mocker() as mock:
        answer_users(mock)  # a create: is the address taken?
        result = assignments.check({}, {**ASSIGNMENT, "subscription_id": Unknown()})

    assert "POST" not in {r.method for r in mock.request_history}
    assert {r.path for r in mock.request_history} == {"/v1/people", "/identity/scim/t-1/v2/users"}
    assert result.failures == []


def test_create_makes_the_user_and_assigns_the_fitting_license(
    assignments: LicenseAssignmentProvider,
) -> None:
    with requests_mock.Mocker() as mock:
        created_agent1(mock)
        mock.patch(LICENSE_PATCH, **license_patch_answer(agent1(["id-SUB-1:standard-agent"])))
        result = assignments.create(dict(ASSIGNMENT))

    changes = [f"{r.method} {r.path}" for r in mock.request_history if r.method != "GET"]
    assert changes == ["POST /identity/scim/t-1/v2/users", "PATCH /v1/licenses/users"]
    assert len(mock.request_history[0].headers["Idempotency-Key"]) == 64
    assert mock.last_request.json() == {
        "email": "agent1@acme.example",
        "orgId": "t-1",
        "licenses": [{"id": "LIC-id-SUB-1:standard-agent", "operation": "add"}],
    }
    assert result.outs is not None
    assert result.id == "u-1"
    assert result.outs["adopted"] is False
    assert "license_id" not in result.outs  # it follows from the inputs; state stays small


def test_an_existing_user_is_refused_unless_adopted(assignments: LicenseAssignmentProvider) -> None:
    with requests_mock.Mocker() as mock:
        answer_users(mock, agent1([], external_id=None))
        mock.post(SCIM_USERS, status_code=409, json=wire(vendor_error("exists")))
        with pytest.raises(ProviderError, match=r"User agent1@acme\.example already exists"):
            assignments.create(dict(ASSIGNMENT))


def test_adopt_leaves_a_user_another_stack_manages_unless_taken_over(
    assignments: LicenseAssignmentProvider,
) -> None:
    theirs = agent1([], external_id="ccprovider/other#user:agent1@acme.example")
    adopting = {**ASSIGNMENT, "adopt": True}
    with requests_mock.Mocker() as mock:
        answer_users(mock, theirs, subscriptions=(live_subscription("SUB-1"),))
        mock.post(SCIM_USERS, status_code=409, json=wire(vendor_error("exists")))
        mock.patch(f"{SCIM_USERS}/u-1", json=wire(scim_user(agent1([]))))
        mock.patch(LICENSE_PATCH, **license_patch_answer(agent1(["id-SUB-1:standard-agent"])))
        refusals = []
        for declared in (ASSIGNMENT, adopting):
            with pytest.raises(ProviderError) as refused:
                assignments.create(dict(declared))
            refusals.append(str(refused.value))
        taken = assignments.create({**adopting, "take_over": True})

    # Without adopt as with it, the message names the stack that manages the user.
    assert (
        refusals
        == [
            "User agent1@acme.example is managed by stack ccprovider/other. Fix: declare it in "
            "one of the two stacks only, or set `adopt: true` and `takeOver: true` in "
            "ccprovider:tenant to take it over from stack ccprovider/other."
        ]
        * 2
    )
    assert taken.outs is not None
    assert taken.outs["adopted"] is True
    assert mock.last_request.json()["licenses"] == [
        {"id": "LIC-id-SUB-1:standard-agent", "operation": "add"}
    ]


def test_remapping_is_one_patch_that_adds_the_new_license_and_removes_the_old(
    assignments: LicenseAssignmentProvider,
) -> None:
    olds = {**ASSIGNMENT, "adopted": False}
    news = {**ASSIGNMENT, "subscription": "SUB-2", "subscription_id": "id-SUB-2"}
    with requests_mock.Mocker() as mock:
        answer_users(
            mock,
            agent1(["id-SUB-1:standard-agent"]),
            subscriptions=(live_subscription("SUB-1"), live_subscription("SUB-2")),
        )
        mock.patch(LICENSE_PATCH, **license_patch_answer(agent1(["id-SUB-2:standard-agent"])))
        diff = assignments.diff("u-1", olds, news)
        result = assignments.update("u-1", olds, news)

    assert (diff.changes, diff.replaces) == (True, [])
    assert mock.last_request.json()["licenses"] == [
        {"id": "LIC-id-SUB-2:standard-agent", "operation": "add"},
        {"id": "LIC-id-SUB-1:standard-agent", "operation": "remove"},
    ]
    assert result.outs is not None
    assert result.outs["subscription"] == "SUB-2"


def test_a_partial_license_patch_fails_the_update_with_each_reason(
    assignments: LicenseAssignmentProvider,
) -> None:
    olds = {**ASSIGNMENT, "adopted": False}
    news = {**ASSIGNMENT, "subscription": "SUB-2", "subscription_id": "id-SUB-2"}
    with requests_mock.Mocker() as mock:
        answer_users(
            mock,
            agent1(["id-SUB-1:standard-agent"]),
            subscriptions=(live_subscription("SUB-1"), live_subscription("SUB-2")),
        )
        mock.patch(
            LICENSE_PATCH,
            **license_patch_answer(
                agent1(["id-SUB-1:standard-agent"]),
                "Subscription SUB-2 cannot give access: it was cancelled.",
            ),
        )
        with pytest.raises(ProviderError, match="it was cancelled"):
            assignments.update("u-1", olds, news)


def test_a_new_email_is_a_replacement(assignments: LicenseAssignmentProvider) -> None:
    result = assignments.diff("u-1", ASSIGNMENT, {**ASSIGNMENT, "email": "agent9@acme.example"})

    assert result.replaces == ["email"]


def test_deleting_releases_the_user_and_deletes_only_with_delete_users(
    assignments: LicenseAssignmentProvider,
) -> None:
    held = agent1(["id-SUB-1:standard-agent"])
    release = [("licenses", [("remove", "LIC-id-SUB-1:standard-agent")])]
    with requests_mock.Mocker() as mock:
        answer_users(mock, held)
        mock.patch(LICENSE_PATCH, **license_patch_answer(agent1([])))
        for adopted, delete_users in ((False, False), (True, False), (False, True), (True, True)):
            props = {**ASSIGNMENT, "adopted": adopted, "delete_users": delete_users}
            assignments.delete("u-1", props)

    assert user_changes(mock) == [
        *release,
        ("mark", "u-1", "#"),  # created: kept, marked as the stack's for the tenant's delete
        *release,
        ("mark", "u-1", None),  # adopted: handed back unmarked
        ("delete", "u-1"),
        *release,
        ("mark", "u-1", None),  # an account the stack did not create is never deleted
    ]
    # Each only while the user is as the listing found them.
    scim = [r for r in mock.request_history if r.path.startswith("/identity/")]
    assert [r.headers.get("If-Match") for r in scim if r.method != "GET"] == [SCIM_VERSION] * 4


def test_a_refused_release_names_the_user(assignments: LicenseAssignmentProvider) -> None:
    with requests_mock.Mocker() as mock:
        answer_users(mock, agent1(["id-SUB-1:standard-agent"]))
        mock.patch(LICENSE_PATCH, status_code=400, json=wire(vendor_error("locked")))
        with pytest.raises(ProviderError, match=r"Releasing agent1@acme\.example failed: locked"):
            assignments.delete("u-1", dict(ASSIGNMENT))

    # The user keeps the assignment's mark: nothing is left half-released.
    assert user_changes(mock) == [("licenses", [("remove", "LIC-id-SUB-1:standard-agent")])]


# PartnerAccess

PARTNER = {"tenant_id": "t-1", "org": "partner-b", "access": "full_admin"}


@pytest.fixture
def partners() -> PartnerAccessProvider:
    return configured(PartnerAccessProvider())


def mock_tenant_with_two_subscriptions_and_partner_a(mock: requests_mock.Mocker) -> None:
    mock.get(TENANT_URL, json=wire(live_tenant()))
    mock.get(
        f"{TENANT_URL}/partners",
        json=wire(page(live_partner("p-a", "partner-a", "full_admin"))),
    )
    mock.get(
        f"{TENANT_URL}/subscriptions",
        json=wire(page(live_subscription("SUB-1"), live_subscription("SUB-2", is_primary=False))),
    )


def test_a_second_partners_full_admin_without_approval_fails_check(
    partners: PartnerAccessProvider,
) -> None:
    with requests_mock.Mocker() as mock:
        mock_tenant_with_two_subscriptions_and_partner_a(mock)
        result = partners.check({}, dict(PARTNER))

    [failure] = result.failures
    assert failure.property == "approved_by"
    assert "needs a customer admin's approval, but none is recorded" in failure.reason


def test_a_second_partners_full_admin_approved_by_a_customer_admin_passes_check(
    partners: PartnerAccessProvider,
) -> None:
    with requests_mock.Mocker() as mock:
        admin = live_user(
            "admin1@acme.example", ["id-SUB-1:admin"], role="admin", agent_profile=None
        )
        answer_users(mock, admin)
        mock_tenant_with_two_subscriptions_and_partner_a(mock)
        mock.get(f"{TENANT_URL}/partners?org=partner-b", json=wire(page()))  # not taken
        result = partners.check({}, {**PARTNER, "approved_by": "admin1@acme.example"})

    assert result.failures == []


def test_full_admin_is_granted_read_only_first_then_raised(
    partners: PartnerAccessProvider,
) -> None:
    read_only = live_partner("p-b", "partner-b", "read_only")
    full_admin = live_partner("p-b", "partner-b", "full_admin", approved_by="admin1@acme.example")
    with requests_mock.Mocker() as mock:
        mock.post(f"{TENANT_URL}/partners", status_code=201, json=wire(read_only))
        mock.put(f"{TENANT_URL}/partners/p-b", json=wire(full_admin))
        result = partners.create({**PARTNER, "approved_by": "admin1@acme.example"})

    posted, put = mock.request_history
    assert posted.json()["access"] == "read_only"
    assert put.json()["access"] == "full_admin"
    assert result.outs is not None
    assert result.outs["access"] == "full_admin"


def test_an_update_keeps_an_adopted_subscription_adopted(
    subscriptions: SubscriptionProvider,
) -> None:
    olds = {**SUB_INPUTS, "adopted": True}
    with requests_mock.Mocker() as mock:
        mock.put(f"{TENANT_URL}/subscriptions/id-SUB-2", json=wire(live_subscription("SUB-2")))
        result = subscriptions.update("id-SUB-2", olds, dict(SUB_INPUTS))

    assert result.outs is not None
    assert result.outs["adopted"] is True  # so that deleting it later only releases it


def test_releasing_a_user_of_a_tenant_that_is_gone_succeeds(
    assignments: LicenseAssignmentProvider,
) -> None:
    with requests_mock.Mocker() as mock:
        for read in (PEOPLE, LICENSES):
            mock.get(read, status_code=404, json=wire(vendor_error("gone")))
        assignments.delete("u-1", dict(ASSIGNMENT))

    assert [r.method for r in mock.request_history] == ["GET"]
