"""The OpenAPI document says exactly what the service takes and answers: schemathesis, with every check it
has, finds no request the document allows that the service refuses, none it forbids that the service takes,
no answer the document does not describe and no server error, on every operation of the running server.

The document follows the data contract (request.py, scoring.py, csv_body.py), so this holds for your own
features and bounds too. The seed is fixed, so a run tries the same cases each time; a failure prints the
`curl` that reproduces it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
SECONDS = 20  # the budget of the whole run: the coverage phase takes a few, fuzzing the rest


def test_schemathesis_finds_no_failure_of_any_kind(server: str, tmp_path: Path) -> None:
    command = [
        str(SCHEMATHESIS),
        "run",
        f"{server}/openapi.json",
        "--checks=all",
        f"--max-time={SECONDS}",
        "--seed=20261202",
        "--generation-database=none",
        "--no-color",
    ]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout
