"""The LicenseRuleAssignments provider's hooks, called as the engine calls them, on a real
backend whose people came from the directory: a rule licenses them and never creates,
deletes or re-marks anyone; a person leaving it loses its license unless handed over."""

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from ccprovider.client import ProvisioningClient
from ccprovider.contract import LicenseOperation
from ccprovider.directory import DIRECTORY_MARK, DirectoryPerson
from ccprovider.directory_sync import sync_directory
from ccprovider.resources import LicenseRuleProvider
from tests.helpers import subscription_body

PEOPLE = [f"p{n}@acme.example" for n in range(4)]


@dataclass(frozen=True)
class Rules:
    """A rule provider on a real backend whose directory holds `PEOPLE`."""

    provider: LicenseRuleProvider
    client: ProvisioningClient
    tenant_id: str
    ids: dict[str, str]

    def inputs(self, *members: str, subscription: str = "SUB-1", **fields: Any) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id,
            "rule": "care",
            "role": "agent",
            "agent_profile": "standard",
            "subscription": subscription,
            "subscription_id": self.ids[subscription],
            "members": list(members),
            "handed_over": [],
            **fields,
        }

    def held(self) -> dict[str, tuple[str | None, list[str]]]:
        """Each person: their mark, and their licenses as subscription and kind."""
        external = {sub_id: ext for ext, sub_id in self.ids.items()}
        return {
            u.email: (
                u.external_id,
                [
                    f"{external[sub]}:{kind}"
                    for sub, _, kind in (h.partition(":") for h in u.licenses)
                ],
            )
            for u in self.client.list_users(self.tenant_id)
        }


@pytest.fixture
def rules(backend_url: str, client: ProvisioningClient, tenant_id: str, clock_today: date) -> Rules:
    provider = LicenseRuleProvider()
    provider.configure(ConfigureRequest(Config({"ccprovider:endpoint": backend_url}, "")))
    ids = {
        sub: client.create_subscription(tenant_id, subscription_body(sub)).id
        for sub in ("SUB-1", "SUB-2")
    }
    sync_directory(client, tenant_id, [DirectoryPerson(email=e) for e in PEOPLE])
    return Rules(provider, client, tenant_id, ids)


def mark(email: str) -> str:
    return f"{DIRECTORY_MARK}{email}"


def test_create_licenses_the_rules_people_and_creates_nobody(rules: Rules) -> None:
    result = rules.provider.create(rules.inputs("p0@acme.example", "nobody@acme.example"))

    assert result.id == f"{rules.tenant_id}/rule/care"
    held = rules.held()
    assert held["p0@acme.example"] == (mark("p0@acme.example"), ["SUB-1:standard-agent"])
    assert held["p1@acme.example"] == (mark("p1@acme.example"), [])
    assert "nobody@acme.example" not in held


def test_update_licenses_newcomers_and_unlicenses_leavers_but_not_the_handed_over(
    rules: Rules,
) -> None:
    """p1 leaves for another rule, which takes them in the same update: their license
    stays for that rule's PATCH to switch. p2 leaves the rules altogether."""
    olds = rules.inputs("p0@acme.example", "p1@acme.example", "p2@acme.example")
    rules.provider.create(olds)
    news = rules.inputs("p0@acme.example", "p3@acme.example", handed_over=["p1@acme.example"])

    rules.provider.update("t/rule/care", olds, news)

    assert rules.held() == {
        "p0@acme.example": (mark("p0@acme.example"), ["SUB-1:standard-agent"]),
        "p1@acme.example": (mark("p1@acme.example"), ["SUB-1:standard-agent"]),
        "p2@acme.example": (mark("p2@acme.example"), []),
        "p3@acme.example": (mark("p3@acme.example"), ["SUB-1:standard-agent"]),
    }


def test_a_rule_switched_to_another_subscription_or_profile_moves_everyone(
    rules: Rules,
) -> None:
    olds = rules.inputs("p0@acme.example", "p1@acme.example")
    rules.provider.create(olds)

    rules.provider.update("t/rule/care", olds, rules.inputs(*olds["members"], subscription="SUB-2"))
    moved = rules.held()
    premium = rules.inputs(*olds["members"], subscription="SUB-2", agent_profile="premium")
    rules.provider.update(
        "t/rule/care", rules.inputs(*olds["members"], subscription="SUB-2"), premium
    )

    assert [moved[e][1] for e in olds["members"]] == [["SUB-2:standard-agent"]] * 2
    assert [rules.held()[e][1] for e in olds["members"]] == [["SUB-2:premium-agent"]] * 2


def test_delete_takes_the_rules_licenses_and_leaves_the_people(rules: Rules) -> None:
    inputs = rules.inputs("p0@acme.example", "p1@acme.example")
    rules.provider.create(inputs)

    rules.provider.delete("t/rule/care", inputs)

    assert rules.held() == {e: (mark(e), []) for e in PEOPLE}


def test_refresh_reports_a_person_whose_license_was_taken_outside_as_drift(
    rules: Rules,
) -> None:
    inputs = rules.inputs("p0@acme.example", "p1@acme.example")
    rules.provider.create(inputs)
    p1 = rules.client.find_user(rules.tenant_id, "p1@acme.example")
    assert p1 is not None
    rules.client.change_licenses(
        rules.tenant_id, p1, [LicenseOperation(id=p1.licenses[0], operation="remove")]
    )

    read = rules.provider.read("t/rule/care", inputs)

    assert read.outs is not None and read.outs["members"] == ["p0@acme.example"]
    assert read.inputs is not None and read.inputs["members"] == ["p0@acme.example"]
