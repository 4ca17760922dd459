"""The shared vocabulary of the contact-center domain: value types used by every layer."""

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic.alias_generators import to_camel


class Offer(StrEnum):
    """The Webex Contact Center offer a tenant runs on; both support several subscriptions."""

    FLEX = "flex"
    FLEX3 = "flex3"


TenantName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=3,
        max_length=63,
        pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$",
    ),
]
"""A tenant's unique name: 3 to 63 lower-case letters, digits and inner hyphens."""


class CamelModel(BaseModel):
    """Base of models read from YAML or JSON: camelCase keys outside, snake_case in Python,
    unknown keys refused so that a typo is an error rather than a silent default."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class TenantSettings(CamelModel):
    """The settings of a tenant that its owner controls; each can change in place."""

    name: TenantName
    offer: Offer
    hybrid: bool = False
