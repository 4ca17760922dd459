"""A short, bounded schemathesis run over the backend's OpenAPI schema: no 5xx, and every
answer conforms to the schema. `scripts/fuzz-backend` runs the long one."""

import os
import subprocess
from pathlib import Path

import pytest

from ccprovider.backend.storage import Database

FUZZ = Path(__file__).resolve().parents[2] / "scripts" / "fuzz-backend"


EXAMPLES = {"sqlite": 6, "postgres": 3}
"""Examples per operation on each engine: the rules are the same on both, and the tests of
the storage contract (NUL, paging, unique keys, ...) run on both; PostgreSQL's share is
there for what only random input finds, as its NUL 500 was. The vendor's routes doubled
the operations; fewer examples of each keep the run within the suite's time."""


@pytest.mark.slow
@pytest.mark.both_engines
def test_fuzzing_the_schema_finds_no_server_errors_and_no_nonconforming_answers(
    database: Database,
) -> None:
    engine = "sqlite" if isinstance(database, Path) else "postgres"
    result = subprocess.run(
        [str(FUZZ), str(EXAMPLES[engine]), "20261127"],
        env={**os.environ, "CCPROVIDER_FUZZ_DB": str(database)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
