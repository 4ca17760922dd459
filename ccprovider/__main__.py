"""Entry point of `python -m ccprovider`."""

import sys

from ccprovider.cli import main

sys.exit(main())
