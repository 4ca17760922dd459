"""A dynamic provider that does nothing, imported by reference like ccprovider's own."""

from typing import Any

from pulumi.dynamic import CreateResult, Resource, ResourceProvider


class NoOpProvider(ResourceProvider):
    """Creates nothing; returns its inputs as outputs."""

    serialize_as_secret_always = False

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(props["key"], dict(props))


class NoOp(Resource, module="floor", name="NoOp"):
    """One no-op resource."""

    def __init__(self, name: str) -> None:
        super().__init__(NoOpProvider(), name, {"key": name})
