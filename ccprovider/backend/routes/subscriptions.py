"""Subscriptions of a tenant: `/v1/simulator/tenants/{tenantId}/subscriptions`."""

from fastapi import APIRouter, Response

from ccprovider import contract
from ccprovider.backend.http import versioned
from ccprovider.backend.routes.collection import Collection, collection_router
from ccprovider.backend.service.subscriptions import SubscriptionService


def router(service: SubscriptionService) -> APIRouter:
    routes = collection_router(
        Collection(
            path="subscriptions",
            singular="subscription",
            natural_key="externalId",
            body=contract.SubscriptionBody,
            model=contract.Subscription,
            list=service.list_subscriptions,
            create=service.create_subscription,
            get=service.get_subscription,
            replace=service.replace_subscription,
            delete=service.delete_subscription,
        )
    )

    @routes.post("/{subscription_id}/cancel", response_model=contract.Subscription)
    def cancel_subscription(
        tenant_id: str, subscription_id: str, response: Response
    ) -> contract.Subscription:
        return versioned(response, service.cancel_subscription(tenant_id, subscription_id))

    return routes
