"""The vendor's own Python client, pointed at a stack's backend as a team scripts its org:
a remap made there is drift that the stack previews as that one user's update and puts
back."""

from datetime import date

from webexpythonsdk import WebexAPI

from ccprovider.backend import vendor_ids
from tests.e2e.declarations import subscription, tenant
from tests.e2e.harness import Apply, changed_steps

STANDARD = "Contact Center Standard Agent"


def test_a_remap_made_with_the_vendors_client_is_one_update_that_up_puts_back(
    applied: Apply,
) -> None:
    started = date(2025, 1, 1)
    project = applied(
        tenant(
            subscriptions=[subscription("SUB-1", started, 60), subscription("SUB-2", started, 60)]
        )
    )
    org = vendor_ids.org_id(project.outputs()["tenantId"])
    with project.backend() as backend:
        webex = WebexAPI(access_token="any-token", base_url=f"{backend.base_url}/v1/")
        licenses = {
            (lic.subscriptionId, lic.name): lic.id for lic in webex.licenses.list(orgId=org)
        }
        [agent] = webex.people.list(email="agent1@acme.example", orgId=org)
        assert agent.licenses == [licenses["SUB-1", STANDARD]]
        webex.people.update(
            agent.id, displayName=agent.displayName, licenses=[licenses["SUB-2", STANDARD]]
        )

    planned = project.preview_json("--refresh")
    project.run("up", "--yes")

    assert changed_steps(planned) == [("update", "agent1@acme.example")]
    with project.backend() as backend:
        webex = WebexAPI(access_token="any-token", base_url=f"{backend.base_url}/v1/")
        [agent] = webex.people.list(email="agent1@acme.example", orgId=org)
        assert agent.licenses == [licenses["SUB-1", STANDARD]]
    project.run("refresh", "--expect-no-changes", "--yes")
