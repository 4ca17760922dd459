"""Command line of the mock backend: `python -m ccprovider.backend serve --port 8080`."""

import argparse
from pathlib import Path

from ccprovider.backend.server import serve
from ccprovider.backend.storage import DEFAULT_DB_PATH


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
    args = parser.parse_args(argv)
    print(f"ccprovider backend: serving http://{args.host}:{args.port} from {args.db}", flush=True)
    serve(args.db, args.host, args.port)


if __name__ == "__main__":
    main()
