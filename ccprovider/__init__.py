"""ccprovider: Webex Contact Center tenants, subscriptions and licenses as code, with Pulumi.

From a program of one's own::

    from ccprovider import Connection, ContactCenter, ContactCenterArgs

The component is imported on first use, so that the backend and the command-line tool,
which import this package too, do not load the Pulumi program machinery.
"""

import importlib
from typing import Any

__version__ = "0.1.0"
__all__ = ["Connection", "ContactCenter", "ContactCenterArgs"]

_LAZY = {
    "Connection": "ccprovider.args",
    "ContactCenterArgs": "ccprovider.args",
    "ContactCenter": "ccprovider.contact_center",
}


def __getattr__(name: str) -> Any:
    """The component and its arguments, imported when first asked for."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ccprovider' has no attribute '{name}'")
    return getattr(importlib.import_module(module), name)
