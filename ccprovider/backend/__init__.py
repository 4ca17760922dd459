"""The mock provisioning backend: the vendor's API shape, rules the vendor enforces, and storage.

Run it as a server with `python -m ccprovider.backend serve`, or embedded in-process with
`ccprovider.backend.server.BackgroundServer`; both serve the same HTTP app.
"""

from pathlib import Path

DEFAULT_DB_PATH = Path(".ccprovider") / "backend.sqlite3"
"""Where the backend keeps its data unless told otherwise, relative to the working directory.
Defined here, not in `storage`, so that naming it does not load the backend."""

DATABASE_ENV = "CCPROVIDER_BACKEND_DB"
"""Where `serve` reads its database from when `--db` is not given: an environment variable
keeps a URL's password out of the process list."""
