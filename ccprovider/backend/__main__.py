"""Command line of the mock backend: `python -m ccprovider.backend serve --tokens tokens.json`."""

import argparse
import os
import sys
from pathlib import Path

from ccprovider.backend import DATABASE_ENV, DEFAULT_DB_PATH
from ccprovider.backend.http import load_policy
from ccprovider.backend.middleware import Faults
from ccprovider.backend.server import ServeOptions, serve
from ccprovider.backend.storage import StoreUnavailableError, describe


def _options(args: argparse.Namespace) -> ServeOptions:
    """The server's options, or exit naming what is missing or wrong."""
    if args.no_auth:
        tokens_file = None
    elif args.tokens is None:
        sys.exit(
            "error: the server needs --tokens FILE, a JSON object mapping each bearer token to "
            'its caller ("customer_admin", or {"role": "partner", "org": "<org>"}), or '
            "--no-auth on a trusted machine"
        )
    else:
        tokens_file = args.tokens.resolve()
        try:
            load_policy(tokens_file)
        except ValueError as error:
            sys.exit(f"error: {error}")
    faults = Faults(args.faults, args.latency_ms, args.fault_seed)
    return ServeOptions(
        database=args.db or os.environ.get(DATABASE_ENV) or str(DEFAULT_DB_PATH),
        tokens_file=str(tokens_file) if tokens_file else None,
        rate_limit=args.rate_limit,
        faults=faults,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m ccprovider.backend",
        description="The mock Contact Center provisioning backend.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="serve the HTTP API until interrupted")
    serve_cmd.add_argument("--host", default="127.0.0.1", help="bind address (%(default)s)")
    serve_cmd.add_argument(
        "--port",
        type=int,
        default=8080,
        help="bind port (%(default)s; 0: a free one, named when serving starts)",
    )
    serve_cmd.add_argument(
        "--db",
        help=f"a SQLite file, or a postgres:// URL (default: ${DATABASE_ENV}, which keeps a"
        f" URL's password out of the process list, else {DEFAULT_DB_PATH})",
    )
    serve_cmd.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes sharing the port and the database (%(default)s)",
    )
    serve_cmd.add_argument("--tokens", type=Path, help="JSON file mapping bearer tokens to roles")
    serve_cmd.add_argument("--no-auth", action="store_true", help="accept requests without a token")
    serve_cmd.add_argument(
        "--rate-limit",
        type=float,
        default=0,
        help="requests per second per client before 429 (default: no limit)",
    )
    serve_cmd.add_argument(
        "--forwarded-allow-ips",
        metavar="IPS",
        help="comma-separated addresses of proxies whose X-Forwarded-For names the client "
        "(default: none; each client is the address it connects from)",
    )
    serve_cmd.add_argument(
        "--faults",
        type=float,
        default=0,
        metavar="RATE",
        help="share of API requests (0-1) answered 429, 500 or 503 or dropped, for tests",
    )
    serve_cmd.add_argument("--latency-ms", type=float, default=0, help="delay before each answer")
    serve_cmd.add_argument("--fault-seed", type=int, help="seed of the fault sequence")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    options = _options(args)
    try:
        serve(
            options,
            args.host,
            args.port,
            workers=args.workers,
            forwarded_allow_ips=args.forwarded_allow_ips,
            announce=lambda url: print(
                f"ccprovider backend: serving {url} from {describe(options.database)}"
                f" with {args.workers} worker(s)",
                flush=True,
            ),
        )
    except StoreUnavailableError as error:
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    main()
