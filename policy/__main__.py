"""Mandatory policies for the vendor's tenant-wide rules, on the planned values of any
program's ccprovider resources (not only those the ccprovider program declares).

Each policy reuses `ccprovider.rules`, so the policy pack, the program, the providers and
the backend judge a tenant the same way. Values not known yet are skipped.
"""

from datetime import date
from typing import TypeVar

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError
from pydantic import BaseModel, ValidationError

from ccprovider import rules
from ccprovider.domain import LicenseAssignment, Subscription, Telephony

DYNAMIC = "pulumi-python:dynamic/ccprovider:"


M = TypeVar("M", bound=BaseModel)


class _TenantOption(BaseModel):
    """The one field of a planned Tenant these policies need."""

    telephony: Telephony


def _planned(args: StackValidationArgs, kind: str, model: type[M]) -> list[M]:
    """The planned resources of one kind, as domain models; those with values not known yet
    (or not valid) are skipped: the program and the providers report those."""
    planned = []
    for resource in args.resources:
        if resource.resource_type != DYNAMIC + kind:
            continue
        try:
            fields = {k: resource.props[k] for k in model.model_fields if k in resource.props}
            planned.append(model.model_validate(fields))
        except (UnknownValueError, ValidationError):
            continue
    return planned


def _subscriptions(args: StackValidationArgs) -> list[Subscription]:
    """The planned subscriptions, oldest first: a plan has no provisioning order, so the
    oldest stands for the first one provisioned."""
    planned = _planned(args, "Subscription", Subscription)
    return sorted(planned, key=lambda s: (s.start, s.external_id))


def _tenant_telephony(args: StackValidationArgs) -> Telephony | None:
    tenants = _planned(args, "Tenant", _TenantOption)
    return tenants[0].telephony if len(tenants) == 1 else None


def single_telephony(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for violation in rules.telephony_violations(_subscriptions(args), _tenant_telephony(args)):
        report_violation(str(violation), None)


def single_license_model(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for violation in rules.license_model_violations(_subscriptions(args)):
        report_violation(str(violation), None)


def remap_before_expiry(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    report = rules.remap_report(
        _subscriptions(args),
        _planned(args, "LicenseAssignment", LicenseAssignment),
        date.today(),
        warning_days=0,
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
