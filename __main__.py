"""The ccprovider program: stack config -> validated TenantSpec -> resources -> outputs."""

from typing import Any

import pulumi
from pulumi.runtime.config import CONFIG, get_config, get_config_env, is_config_secret

from ccprovider.args import ContactCenterArgs
from ccprovider.connection import (
    CONFIG_NAMESPACE,
    KNOWN_KEYS,
    PLAINTEXT_TOKEN,
    TOKEN_KEY,
    ConnectionSettings,
    connect,
    unknown_config_keys,
)
from ccprovider.contact_center import ContactCenter, leaving_notice, leaving_users
from ccprovider.engine_stop import stop
from ccprovider.license_rules import RuleChanges, matching_nobody, remap_warnings
from ccprovider.live import (
    LiveReadError,
    adoption_notices,
    existing_objects,
    last_update_outputs,
    read,
    tenant_label,
)
from ccprovider.spec import CONFIG_KEY, NOT_AN_OBJECT


def main() -> ContactCenter:
    """Declare the stack's tenant from its config and export what it holds."""
    config = pulumi.Config(CONFIG_NAMESPACE)
    misspelled = unknown_config_keys({*get_config_env(), *CONFIG.get()})
    if misspelled:
        raise pulumi.RunError("invalid stack config:\n" + "\n".join(f"  {p}" for p in misspelled))
    if get_config(TOKEN_KEY) and not is_config_secret(TOKEN_KEY):
        raise pulumi.RunError(PLAINTEXT_TOKEN)
    try:
        declared = config.require_object("tenant")
    except pulumi.ConfigTypeError:  # not JSON, or too deep for Python's JSON reader
        raise pulumi.RunError(NOT_AN_OBJECT) from None
    # A protected tenant and its subscriptions (prod) cannot be deleted, not even by
    # `pulumi destroy`, until unprotected; users and partners change as in any stack.
    protect = config.get_bool("protect") or False
    # The declaration is judged on the provisioning system's clock, read once its schema holds.
    center = ContactCenter(
        "contact-center",
        ContactCenterArgs.from_declaration(declared),
        pulumi.ResourceOptions(protect=protect),
    )
    spec = center.spec
    for need in center.expiring:
        pulumi.log.warn(f"remap before expiry: {need.describe()}")
    if spec.adopt:
        settings = ConnectionSettings.from_config({key: get_config(key) for key in KNOWN_KEYS})
        try:
            existing = read(
                tenant_label(declared), settings, lambda: existing_objects(connect(settings), spec)
            )
        except LiveReadError as error:
            raise pulumi.RunError(str(error)) from None
    else:
        existing = {}

    # What the last update of this stack managed, to say what this one takes over and what
    # happens to the users who leave the declaration.
    last = last_update_outputs()
    for notice in [
        *adoption_notices(existing, last),
        *(
            leaving_notice(email, bool(last.get("deleteUsers")))
            for email in leaving_users(last.get("usersPerSubscription"), spec)
        ),
    ]:
        pulumi.log.info(notice)

    pulumi.export("tenantName", center.tenant.name)
    pulumi.export("tenantId", center.tenant.tenant_id)
    pulumi.export("telephony", center.tenant.telephony)
    pulumi.export("primarySubscription", center.primary_subscription)
    pulumi.export("pooledEntitlements", center.pooled_entitlements)
    pulumi.export("usersPerSubscription", center.users_per_subscription)
    pulumi.export("expiringUsers", center.expiring_users)
    pulumi.export("partnerAccess", center.partner_access)
    pulumi.export("deleteUsers", spec.delete_users)
    if spec.license_rules:
        for line in rule_notices(center, last):
            pulumi.log.info(line)
        for warning in [
            *matching_nobody(center.rule_outcomes, f"{CONFIG_KEY}.licenseRules"),
            *remap_warnings(
                center.rule_outcomes,
                spec.declared_subscriptions(),
                center.today,
                spec.remap_warning_days,
            ),
        ]:
            pulumi.log.warn(warning)
        pulumi.export(
            "licenseRules",
            {
                name: rule.live("subscription", "members").apply(
                    lambda live: {"subscription": live["subscription"], "people": live["members"]}
                )
                for name, rule in center.license_rules.items()
            },
        )
        pulumi.export(
            "licenseRuleFailures",
            [f.as_output() for o in center.rule_outcomes for f in o.failures],
        )
    return center


def rule_notices(center: ContactCenter, last: dict[str, Any]) -> list[str]:
    """For each rule this update changes, whom it adds, moves and removes: counted, and the
    first people of each named (`preview --diff` and `--json` list every one)."""
    before = last.get("licenseRules") or {}
    current = center.directory.subscriptions_held()
    notices = []
    for outcome in center.rule_outcomes:
        was = (before.get(outcome.rule.name) or {}).get("people") or []
        changes = RuleChanges.of(outcome, current, was)
        if changes:
            notices.append(changes.describe(outcome.rule.subscription))
    return notices


try:
    center = main()
except pulumi.RunError as error:  # a declaration the program refuses: its one message
    stop(str(error))
