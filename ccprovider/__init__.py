"""ccprovider: Webex Contact Center tenants, subscriptions and licenses as code, with Pulumi."""

__version__ = "0.1.0"
