"""Mandatory policies for the vendor's tenant-wide rules, on the planned values of any
program's ccprovider resources (not only those the ccprovider program declares).

Each policy reuses `ccprovider.rules`, so the policy pack, the program, the providers and
the backend judge a tenant the same way. Values not known yet are skipped.
"""

from datetime import date
from typing import Any, TypeVar

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError
from pydantic import BaseModel, ValidationError

from ccprovider import rules
from ccprovider.domain import LicenseAssignment, Subscription, Telephony

DYNAMIC = "pulumi-python:dynamic/ccprovider:"
COMPONENT = "ccprovider:index:ContactCenter"


M = TypeVar("M", bound=BaseModel)


class _TenantOption(BaseModel):
    """The one field of a planned Tenant these policies need."""

    telephony: Telephony


def _known(resource: PolicyResource, key: str) -> Any:
    """A planned property, or None while it is not known."""
    try:
        return resource.props.get(key)
    except UnknownValueError:
        return None


def _tenant_key(resource: PolicyResource) -> str:
    """Which tenant a planned resource belongs to: the `ContactCenter` above it, else the
    Tenant resource its `tenant_id` comes from (a Tenant: itself), else the tenant id it
    names. Resources whose tenant cannot be told form one group."""
    parent = resource.parent
    while parent is not None:
        if parent.resource_type == COMPONENT:
            return parent.urn
        parent = parent.parent
    if resource.resource_type == DYNAMIC + "Tenant":
        return resource.urn
    for dependency in resource.property_dependencies.get("tenant_id", []):
        if dependency.resource_type == DYNAMIC + "Tenant":
            return dependency.urn  # its id is not known yet while the tenant is new
    tenant_id = _known(resource, "tenant_id")
    return f"tenant {tenant_id}" if isinstance(tenant_id, str) else "tenant not known yet"


def _tenants(args: StackValidationArgs) -> list[list[PolicyResource]]:
    """The planned ccprovider resources, grouped by tenant: each tenant is judged alone."""
    groups: dict[str, list[PolicyResource]] = {}
    for resource in args.resources:
        if resource.resource_type.startswith(DYNAMIC):
            groups.setdefault(_tenant_key(resource), []).append(resource)
    return list(groups.values())


def _planned(resources: list[PolicyResource], kind: str, model: type[M]) -> list[M]:
    """The planned resources of one kind, as domain models; those with values not known yet
    (or not valid) are skipped: the program and the providers report those."""
    planned = []
    for resource in resources:
        if resource.resource_type != DYNAMIC + kind:
            continue
        try:
            fields = {k: resource.props[k] for k in model.model_fields if k in resource.props}
            planned.append(model.model_validate(fields))
        except (UnknownValueError, ValidationError):
            continue
    return planned


def _subscriptions(resources: list[PolicyResource]) -> list[Subscription]:
    """The planned subscriptions, oldest first: a plan has no provisioning order, so the
    oldest stands for the first one provisioned."""
    planned = _planned(resources, "Subscription", Subscription)
    return sorted(planned, key=lambda s: (s.start, s.external_id))


def _tenant_telephony(resources: list[PolicyResource]) -> Telephony | None:
    tenants = _planned(resources, "Tenant", _TenantOption)
    return tenants[0].telephony if len(tenants) == 1 else None


def _assignments(resources: list[PolicyResource]) -> list[LicenseAssignment]:
    """Every planned user mapping: single assignments, the members of teams and the people
    license rules select."""
    mapped = _planned(resources, "LicenseAssignment", LicenseAssignment)
    for bulk in resources:
        try:
            if bulk.resource_type == DYNAMIC + "TeamAssignments":
                members = dict(_known(bulk, "members") or {})
                mapped += [
                    LicenseAssignment.model_validate({**member, "email": email})
                    for email, member in members.items()
                ]
            elif bulk.resource_type == DYNAMIC + "LicenseRuleAssignments":
                given = {k: _known(bulk, k) for k in ("role", "agent_profile", "subscription")}
                mapped += [
                    LicenseAssignment.model_validate({**given, "email": email})
                    for email in _known(bulk, "members") or []
                ]
        except (UnknownValueError, ValidationError):
            continue  # the resource's provider reports what is not valid
    return mapped


def single_telephony(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for tenant in _tenants(args):
        for violation in rules.telephony_violations(
            _subscriptions(tenant), _tenant_telephony(tenant)
        ):
            report_violation(str(violation), None)


def single_license_model(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for tenant in _tenants(args):
        for violation in rules.license_model_violations(_subscriptions(tenant)):
            report_violation(str(violation), None)


def remap_before_expiry(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for tenant in _tenants(args):
        report = rules.remap_report(
            _subscriptions(tenant), _assignments(tenant), date.today(), warning_days=0
        )
        for violation in report.violations():
            report_violation(str(violation), None)


PolicyPack(
    name="ccprovider-rules",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        StackValidationPolicy(
            name="single-telephony",
            description="Every subscription of a tenant uses the tenant's one telephony option.",
            validate=single_telephony,
        ),
        StackValidationPolicy(
            name="single-license-model",
            description="A tenant's subscriptions are all named or all concurrent.",
            validate=single_license_model,
        ),
        StackValidationPolicy(
            name="remap-before-expiry",
            description="Every user is mapped to a subscription that is active today.",
            validate=remap_before_expiry,
        ),
    ],
)
