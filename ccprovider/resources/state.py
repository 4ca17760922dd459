"""The `StateIdentity` resource: the identity of the Pulumi state that holds a tenant.

Its id, made once when a state first declares the tenant and kept in that state, names the
manager of every object the state's resources create (`ccprovider.resources.ownership`):
a second state of the same stack name owns nothing it did not create. It is the first
step of a state's first update, so an update killed later finds it recorded, and it never
changes: its id stays known to every preview.
"""

import uuid
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider


class StateIdentityProvider(ResourceProvider):
    """Makes the id; nothing of it lives outside the state."""

    serialize_as_secret_always = False
    """The pickled provider holds no secrets (it is a reference to this class)."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        del props
        return CreateResult(uuid.uuid4().hex, {})

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=False)


class StateIdentity(Resource, module="ccprovider", name="StateIdentity"):
    """The identity of the state that holds it: its `id`."""

    def __init__(self, resource_name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(StateIdentityProvider(), resource_name, {}, opts)
