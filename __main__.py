"""The ccprovider program: stack config -> validated TenantSpec -> resources -> outputs."""

import pulumi

from ccprovider.connection import CONFIG_NAMESPACE
from ccprovider.resources import Tenant, TenantArgs
from ccprovider.spec import SpecError, parse_tenant_spec

config = pulumi.Config(CONFIG_NAMESPACE)
try:
    spec = parse_tenant_spec(config.require_object("tenant"))
except SpecError as error:
    raise pulumi.RunError(str(error)) from None

tenant = Tenant(
    spec.name,
    TenantArgs(name=spec.name, offer=spec.offer.value, hybrid=spec.hybrid),
)

pulumi.export("tenantName", tenant.name)
pulumi.export("tenantId", tenant.tenant_id)
pulumi.export("offer", tenant.offer)
pulumi.export("hybrid", tenant.hybrid)
pulumi.export("createdAt", tenant.created_at)
