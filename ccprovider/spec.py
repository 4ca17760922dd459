"""The tenant declaration of a stack (`ccprovider:tenant`), validated whole before any resource.

Every error names the path of the offending value in the stack config, for example
`ccprovider:tenant.offer`, and says what is accepted.
"""

from typing import Any

from pydantic import ValidationError

from ccprovider.domain import TenantSettings

CONFIG_KEY = "ccprovider:tenant"


class SpecError(ValueError):
    """The declaration is invalid; the message lists every problem with its config path."""


class TenantSpec(TenantSettings):
    """A tenant as a stack declares it."""


def _path(location: tuple[int | str, ...]) -> str:
    path = CONFIG_KEY
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def parse_tenant_spec(raw: Any) -> TenantSpec:
    """Validate the raw `ccprovider:tenant` config object; raise `SpecError` naming each path."""
    if not isinstance(raw, dict):
        raise SpecError(f"{CONFIG_KEY} must be an object with name, offer and hybrid keys")
    try:
        return TenantSpec.model_validate(raw)
    except ValidationError as error:
        problems = [f"  {_path(e['loc'])}: {e['msg']}" for e in error.errors()]
        raise SpecError("invalid tenant declaration:\n" + "\n".join(problems)) from None
