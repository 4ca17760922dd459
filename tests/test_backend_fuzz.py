"""A short, bounded schemathesis run over the backend's OpenAPI schema: no 5xx, and every
answer conforms to the schema. `scripts/fuzz-backend` runs the long one."""

import subprocess
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parents[1] / "scripts" / "fuzz-backend"


@pytest.mark.slow
def test_fuzzing_the_schema_finds_no_server_errors_and_no_nonconforming_answers() -> None:
    result = subprocess.run(
        [str(FUZZ), "15", "20261127"], capture_output=True, text=True, timeout=600, check=False
    )

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
