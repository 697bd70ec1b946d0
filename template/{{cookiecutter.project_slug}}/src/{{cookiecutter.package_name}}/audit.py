"""The audit trail of the registry: every move of @champion (promote, rollback), who made it, when, from which
version to which, and the gate's verdict.

Each move is one tag of the registered model (`audit.000001` = a JSON record), so the trail lives in the
registry next to the versions it describes, for anyone who can read the model; `python -m <package>.registry
history` prints it. Who: the CI actor (`GITHUB_ACTOR`) in a workflow, otherwise the git author, otherwise the
login name.
"""

from __future__ import annotations

import getpass
import json
import os
import subprocess
from datetime import UTC, datetime
from typing import Any

from mlflow import MlflowClient

PREFIX = "audit."


def who() -> str:
    if os.environ.get("GITHUB_ACTOR"):
        return f"{os.environ['GITHUB_ACTOR']} (CI)"
    found = subprocess.run(["git", "config", "user.email"], capture_output=True, text=True, check=False)
    if found.returncode == 0 and found.stdout.strip():
        return found.stdout.strip()
    return getpass.getuser()


def record(
    client: MlflowClient, name: str, *, action: str, alias: str, before: str | None, after: str, gate: str
) -> dict[str, Any]:
    """Add one move to the trail of model `name`; the record."""
    entry = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "who": who(),
        "action": action,
        "alias": alias,
        "from": before,
        "to": after,
        "gate": gate,
    }
    number = len(history(client, name)) + 1
    client.set_registered_model_tag(name, f"{PREFIX}{number:06d}", json.dumps(entry, sort_keys=True))
    return entry


def history(client: MlflowClient, name: str) -> list[dict[str, Any]]:
    """Every recorded move of model `name`, oldest first."""
    tags = client.get_registered_model(name).tags
    return [json.loads(tags[key]) for key in sorted(tags) if key.startswith(PREFIX)]


def to_lines(entries: list[dict[str, Any]]) -> list[str]:
    return [
        f"{entry['when']}  {entry['action']:<8} @{entry['alias']}: "
        f"{'version ' + entry['from'] if entry['from'] else 'none'} -> version {entry['to']}"
        f"  by {entry['who']}  (gate: {entry['gate']})"
        for entry in entries
    ]
