"""Pulumi dynamic-provider resources of ccprovider."""

from ccprovider.resources.tenant import Tenant, TenantArgs, TenantProvider

__all__ = ["Tenant", "TenantArgs", "TenantProvider"]
