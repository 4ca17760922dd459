"""Partner organisations' access: `/v1/simulator/tenants/{tenantId}/partners`."""

from fastapi import APIRouter

from ccprovider import contract
from ccprovider.backend.routes.collection import Collection, collection_router
from ccprovider.backend.service.partners import PartnerService


def router(service: PartnerService) -> APIRouter:
    return collection_router(
        Collection(
            path="partners",
            singular="partner",
            natural_key="org",
            body=contract.PartnerBody,
            model=contract.Partner,
            list=service.list_partners,
            create=service.create_partner,
            get=service.get_partner,
            replace=service.replace_partner,
            delete=service.delete_partner,
        )
    )
