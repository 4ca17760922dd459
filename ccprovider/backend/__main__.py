"""Command line of the mock backend: `python -m ccprovider.backend serve --tokens tokens.json`."""

import argparse
import json
import sys
from pathlib import Path

from ccprovider.backend import DEFAULT_DB_PATH
from ccprovider.backend.http import AccessPolicy, Caller
from ccprovider.backend.middleware import Faults
from ccprovider.backend.server import serve


def _policy(tokens_file: Path | None, no_auth: bool) -> AccessPolicy:
    if no_auth:
        return AccessPolicy()
    if tokens_file is None:
        sys.exit(
            "error: the server needs --tokens FILE, a JSON object mapping each bearer token to "
            'its caller ("customer_admin", or {"role": "partner", "org": "<org>"}), or '
            "--no-auth on a trusted machine"
        )
    try:
        raw = json.loads(tokens_file.read_text())
        return AccessPolicy({str(token): Caller.of(entry) for token, entry in raw.items()})
    except (OSError, ValueError, AttributeError) as error:
        sys.exit(f"error: cannot read tokens from {tokens_file}: {error}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m ccprovider.backend",
        description="The mock Contact Center provisioning backend.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="serve the HTTP API until interrupted")
    serve_cmd.add_argument("--host", default="127.0.0.1", help="bind address (%(default)s)")
    serve_cmd.add_argument("--port", type=int, default=8080, help="bind port (%(default)s)")
    serve_cmd.add_argument(
        "--db", type=Path, default=DEFAULT_DB_PATH, help="SQLite file (%(default)s)"
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
        "--faults",
        type=float,
        default=0,
        metavar="RATE",
        help="share of API requests (0-1) answered 429, 500 or 503 or dropped, for tests",
    )
    serve_cmd.add_argument("--latency-ms", type=float, default=0, help="delay before each answer")
    serve_cmd.add_argument("--fault-seed", type=int, help="seed of the fault sequence")
    args = parser.parse_args(argv)
    policy = _policy(args.tokens, args.no_auth)
    faults = Faults(args.faults, args.latency_ms, args.fault_seed)
    print(f"ccprovider backend: serving http://{args.host}:{args.port} from {args.db}", flush=True)
    serve(args.db, args.host, args.port, policy=policy, rate_limit=args.rate_limit, faults=faults)


if __name__ == "__main__":
    main()
