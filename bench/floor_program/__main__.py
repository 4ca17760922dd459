"""The engine's floor: N no-op dynamic resources, for comparison with ccprovider's program.

Stack config `floor:count` is N. The provider (in `noop.py`, beside this file, pickled by
reference as ccprovider's are) does nothing but echo its inputs, so what this program
costs is the engine, the language host and the dynamic-provider plumbing.
"""

import pulumi
from noop import NoOp

for index in range(pulumi.Config("floor").require_int("count")):
    NoOp(f"noop-{index}")
