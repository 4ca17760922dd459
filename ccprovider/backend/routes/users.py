"""Users of a tenant: `/v1/tenants/{tenantId}/users`."""

from fastapi import APIRouter

from ccprovider import contract
from ccprovider.backend.routes.collection import Collection, collection_router
from ccprovider.backend.service.users import UserService


def router(service: UserService) -> APIRouter:
    return collection_router(
        Collection(
            path="users",
            singular="user",
            natural_key="email",
            body=contract.UserBody,
            model=contract.User,
            list=service.list_users,
            create=service.create_user,
            get=service.get_user,
            replace=service.replace_user,
            delete=service.delete_user,
        )
    )
