"""Entry point of `python -m ccprovider`."""

from ccprovider.cli import run

run()
