"""The bulk assignment: many users' licenses in one request, each user's part applied on its
own (206 names the failures), with preconditions on the client's mark (`externalId`)."""

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from ccprovider.bulk_assign import BulkAction, BulkAssignment
from ccprovider.client import ProvisioningClient
from ccprovider.contract import Subscription, User, license_id
from ccprovider.domain import LicenseKind, UserRole
from ccprovider.vendor_users import Listed
from tests.helpers import subscription_body, user_body

MARK = "proj/dev#team:care"


@pytest.fixture
def sub1(client: ProvisioningClient, tenant_id: str, clock_today: date) -> Subscription:
    return client.create_subscription(tenant_id, subscription_body("SUB-1"))


@pytest.fixture
def expired(client: ProvisioningClient, tenant_id: str, clock_today: date) -> Subscription:
    body = subscription_body("SUB-OLD", start=date(2020, 1, 1), term_months=12)
    return client.create_subscription(tenant_id, body)


def assign(email: str, sub: Subscription, mark: str = MARK, **fields: str | bool) -> BulkAssignment:
    return BulkAssignment(
        action=BulkAction.ASSIGN,
        email=email,
        role="agent",
        agent_profile="standard",
        external_id=mark,
        license=license_id(sub.id, LicenseKind.STANDARD_AGENT),
        **fields,
    )


def test_one_request_creates_users_with_their_licenses(
    client: ProvisioningClient, tenant_id: str, sub1: Subscription
) -> None:
    parts = [assign(f"agent{i}@acme.example", sub1) for i in range(3)]

    results = client.bulk_assign(tenant_id, parts)

    assert [r.status for r in results] == ["created"] * 3
    for user in client.list_managed_users(tenant_id, MARK):
        assert user.licenses == [license_id(sub1.id, LicenseKind.STANDARD_AGENT)]
        assert user.subscription_id == sub1.id
    assert len(list(client.list_managed_users(tenant_id, MARK))) == 3


@pytest.mark.both_engines
def test_a_failing_user_is_reported_and_the_others_still_apply(
    client: ProvisioningClient, tenant_id: str, sub1: Subscription, expired: Subscription
) -> None:
    parts = [assign("ok@acme.example", sub1), assign("late@acme.example", expired)]

    ok, late = client.bulk_assign(tenant_id, parts)

    assert ok.status == "created"
    assert late.status == "error"
    assert late.description is not None and "SUB-OLD cannot give access" in late.description
    # The refused user is not left behind half-made: created, then deleted again.
    assert client.find_user(tenant_id, "late@acme.example") is None


def test_an_existing_user_is_taken_over_only_under_the_clients_mark_prefix(
    client: ProvisioningClient, tenant_id: str, sub1: Subscription
) -> None:
    client.create_user(tenant_id, user_body("outside@acme.example"))
    parts = [
        assign("outside@acme.example", sub1, if_external_id_prefix="proj/dev#"),
        assign("outside@acme.example", sub1, mark="proj/dev#team:b"),
    ]

    refused, adopted = client.bulk_assign(tenant_id, parts)

    assert refused.status == "error"
    assert "not managed by this client" in (refused.description or "")
    assert adopted.status == "updated"
    assert adopted.previous_external_id is None


def test_an_adopting_client_takes_unmarked_users_but_never_another_clients(
    client: ProvisioningClient, tenant_id: str, sub1: Subscription
) -> None:
    client.create_user(tenant_id, user_body("unmarked@acme.example"))
    theirs = user_body("theirs@acme.example").model_copy(update={"external_id": "proj/prod#x"})
    client.create_user(tenant_id, theirs)
    adopted, refused = client.bulk_assign(
        tenant_id,
        [
            assign(email, sub1, if_external_id_prefix="proj/dev#", or_unmarked=True)
            for email in ("unmarked@acme.example", "theirs@acme.example")
        ],
    )

    assert adopted.status == "updated"
    assert (refused.status, refused.description) == (
        "error",
        "User theirs@acme.example carries another client's mark 'proj/prod#x'.",
    )
    kept = client.find_user(tenant_id, "theirs@acme.example")
    assert kept is not None
    assert (kept.external_id, kept.licenses) == ("proj/prod#x", [])


def test_a_switch_of_subscription_is_atomic_and_refused_whole_when_the_new_one_cannot_give_access(
    client: ProvisioningClient, tenant_id: str, sub1: Subscription, expired: Subscription
) -> None:
    client.bulk_assign(tenant_id, [assign("agent@acme.example", sub1)])

    (refused,) = client.bulk_assign(tenant_id, [assign("agent@acme.example", expired)])

    assert refused.status == "error"
    user = client.find_user(tenant_id, "agent@acme.example")
    assert user is not None
    assert user.licenses == [license_id(sub1.id, LicenseKind.STANDARD_AGENT)]


def test_release_and_delete_act_only_while_the_user_carries_the_mark(
    client: ProvisioningClient, tenant_id: str, sub1: Subscription
) -> None:
    client.bulk_assign(
        tenant_id,
        [assign("kept@acme.example", sub1), assign("moved@acme.example", sub1, mark="other")],
    )
    release = BulkAssignment(
        action=BulkAction.RELEASE,
        email="kept@acme.example",
        external_id="proj/dev#",
        if_external_id=MARK,
    )
    delete = BulkAssignment(
        action=BulkAction.DELETE, email="moved@acme.example", if_external_id=MARK
    )

    released, skipped = client.bulk_assign(tenant_id, [release, delete])

    assert released.status == "updated"
    assert released.user is not None
    assert released.user.licenses == []
    assert released.user.external_id == "proj/dev#"
    assert skipped.status == "skipped"
    assert client.find_user(tenant_id, "moved@acme.example") is not None
    (deleted,) = client.bulk_assign(
        tenant_id,
        [delete.model_copy(update={"email": "kept@acme.example", "if_external_id": "proj/dev#"})],
    )
    assert deleted.status == "deleted"
    assert client.find_user(tenant_id, "kept@acme.example") is None


def test_a_part_without_the_fields_its_action_needs_is_refused_whole() -> None:
    with pytest.raises(ValidationError, match="ifExternalId is required"):
        BulkAssignment(action=BulkAction.DELETE, email="a@acme.example")


def test_a_part_whose_address_reads_as_another_users_fails_alone(
    client: ProvisioningClient, tenant_id: str, sub1: Subscription
) -> None:
    (held,) = client.bulk_assign(tenant_id, [assign("arnold@acme.example", sub1)])

    twin, other = client.bulk_assign(
        tenant_id, [assign("amold@acme.example", sub1), assign("agent9@acme.example", sub1)]
    )

    assert twin.status == "error"
    assert held.user is not None
    assert twin.description is not None
    assert twin.description.startswith(
        "User amold@acme.example reads the same as existing user arnold@acme.example "
        f"(id {held.user.id})."
    )
    assert client.find_user(tenant_id, "amold@acme.example") is None
    assert other.status == "created"


def test_a_role_change_that_keeps_a_license_of_the_wrong_kind_is_refused(
    client: ProvisioningClient, tenant_id: str, sub1: Subscription
) -> None:
    client.bulk_assign(tenant_id, [assign("agent@acme.example", sub1)])
    as_admin = assign("agent@acme.example", sub1).model_copy(
        update={"role": UserRole.ADMIN, "agent_profile": None}
    )

    (refused,) = client.bulk_assign(tenant_id, [as_admin])

    assert refused.status == "error"
    assert refused.description is not None
    assert (
        "License Contact Center Standard Agent of subscription SUB-1 is a standard-agent "
        "license; agent@acme.example needs an admin one."
    ) in refused.description
    user = client.find_user(tenant_id, "agent@acme.example")
    assert user is not None and user.role is UserRole.AGENT


def release(email: str, mark: str = MARK) -> BulkAssignment:
    """Release `email` while they carry `mark`, marking them as the stack's."""
    return BulkAssignment(
        action=BulkAction.RELEASE, email=email, external_id="proj/dev#", if_external_id=mark
    )


def listed_earlier(client: ProvisioningClient, listing: list[Listed]) -> ProvisioningClient:
    """A client of the same backend whose bulk works from `listing`, read earlier."""

    class ListedEarlier(ProvisioningClient):
        def listed_users(self, *_: object, **__: object) -> Iterator[Listed]:
            return iter(listing)

    return ListedEarlier(client.base_url)


def to_team_b(sub: Subscription) -> BulkAssignment:
    """Team b taking moved@acme.example over from another resource of the stack."""
    return assign("moved@acme.example", sub, "proj/dev#team:b", if_external_id_prefix="proj/dev#")


def mark_and_licenses(client: ProvisioningClient, tenant_id: str, email: str) -> tuple[Any, ...]:
    user = client.find_user(tenant_id, email)
    assert user is not None
    return user.external_id, user.licenses


def test_an_assignment_whose_user_changed_since_its_listing_is_decided_again(
    client: ProvisioningClient, tenant_id: str, sub1: Subscription
) -> None:
    """A user moving from team a to team b in one update: b listed them before a released
    them, and takes them over as they are after."""
    client.bulk_assign(tenant_id, [assign("moved@acme.example", sub1, mark="proj/dev#team:a")])
    before_release = list(client.listed_users(tenant_id))
    client.bulk_assign(tenant_id, [release("moved@acme.example", mark="proj/dev#team:a")])

    [taken] = listed_earlier(client, before_release).bulk_assign(tenant_id, [to_team_b(sub1)])

    assert taken.status == "updated", taken.description
    assert mark_and_licenses(client, tenant_id, "moved@acme.example") == (
        "proj/dev#team:b",
        [license_id(sub1.id, LicenseKind.STANDARD_AGENT)],
    )


def test_a_user_taken_over_before_their_release_keeps_the_license_the_release_took(
    client: ProvisioningClient, tenant_id: str, sub1: Subscription
) -> None:
    """Team b takes the user over (the license they hold is the one it wants) after team
    a listed them: a's license PATCH, which no version guards, takes b's member's license,
    and a gives it back when it finds the user is b's."""
    client.bulk_assign(tenant_id, [assign("moved@acme.example", sub1, mark="proj/dev#team:a")])
    before_takeover = list(client.listed_users(tenant_id))
    client.bulk_assign(tenant_id, [to_team_b(sub1)])

    [released] = listed_earlier(client, before_takeover).bulk_assign(
        tenant_id, [release("moved@acme.example", mark="proj/dev#team:a")]
    )

    assert released.status == "skipped"
    assert mark_and_licenses(client, tenant_id, "moved@acme.example") == (
        "proj/dev#team:b",
        [license_id(sub1.id, LicenseKind.STANDARD_AGENT)],
    )


def test_a_release_takes_the_licenses_before_the_mark(
    client: ProvisioningClient, tenant_id: str, sub1: Subscription
) -> None:
    """A release cut off half-way leaves a user of the caller's who holds no license, which
    the caller's next read shows, never a user re-marked who still holds one."""
    client.bulk_assign(tenant_id, [assign("left@acme.example", sub1)])

    class CutOffAfterLicensing(ProvisioningClient):
        def replace_user(self, *args: Any, **kwargs: Any) -> User:
            raise ConnectionError("killed")

    with pytest.raises(ConnectionError):
        CutOffAfterLicensing(client.base_url).bulk_assign(tenant_id, [release("left@acme.example")])

    assert mark_and_licenses(client, tenant_id, "left@acme.example") == (MARK, [])


def test_a_new_member_created_elsewhere_since_the_listing_fails_alone(
    client: ProvisioningClient, tenant_id: str, sub1: Subscription
) -> None:
    """The team's new members are created 100 to a request: one whose address another
    client took after the listing is refused on their own and left as that client made
    them, and the others are created and licensed."""
    listing_before = list(client.listed_users(tenant_id))
    elsewhere = user_body("taken@acme.example").model_copy(update={"external_id": "other#x"})
    client.create_user(tenant_id, elsewhere)

    taken, other = listed_earlier(client, listing_before).bulk_assign(
        tenant_id, [assign("taken@acme.example", sub1), assign("agent1@acme.example", sub1)]
    )

    assert (taken.status, other.status) == ("error", "created")
    assert taken.description is not None and "already exists" in taken.description
    assert mark_and_licenses(client, tenant_id, "taken@acme.example") == ("other#x", [])
    assert mark_and_licenses(client, tenant_id, "agent1@acme.example") == (
        MARK,
        [license_id(sub1.id, LicenseKind.STANDARD_AGENT)],
    )
