"""The mock provisioning backend: the vendor's API shape, rules the vendor enforces, and storage.

Run it as a server with `python -m ccprovider.backend serve`, or embedded in-process with
`ccprovider.backend.server.BackgroundServer`; both serve the same HTTP app.
"""
