"""The ccprovider program: stack config -> validated TenantSpec -> resources -> outputs."""

from datetime import date

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env

from ccprovider.connection import CONFIG_NAMESPACE, unknown_config_keys
from ccprovider.contact_center import ContactCenter, leaving_notice, leaving_users
from ccprovider.spec import SpecError, parse_tenant_spec

today = date.today()
config = pulumi.Config(CONFIG_NAMESPACE)
misspelled = unknown_config_keys({*get_config_env(), *CONFIG.get()})
if misspelled:
    raise pulumi.RunError("invalid stack config:\n" + "\n".join(f"  {p}" for p in misspelled))
try:
    spec = parse_tenant_spec(config.require_object("tenant"), today)
except SpecError as error:
    raise pulumi.RunError(str(error)) from None

# A protected tenant and its subscriptions (prod) cannot be deleted, not even by
# `pulumi destroy`, until unprotected; users and partners change as in any stack.
protect = config.get_bool("protect") or False
center = ContactCenter("contact-center", spec, today, pulumi.ResourceOptions(protect=protect))
for need in center.expiring:
    pulumi.log.warn(f"remap before expiry: {need.describe()}")

# What the last update of this stack declared, to say what happens to users who leave it.
this_stack = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
last_update = pulumi.StackReference(this_stack).get_output("usersPerSubscription")
last_update.apply(
    lambda previous: [
        pulumi.log.info(leaving_notice(email, spec.delete_users))
        for email in leaving_users(previous, spec)
    ]
)

pulumi.export("tenantName", center.tenant.name)
pulumi.export("tenantId", center.tenant.tenant_id)
pulumi.export("telephony", center.tenant.telephony)
pulumi.export("primarySubscription", center.primary_subscription)
pulumi.export("pooledEntitlements", center.pooled_entitlements)
pulumi.export("usersPerSubscription", center.users_per_subscription)
pulumi.export("expiringUsers", center.expiring_users)
