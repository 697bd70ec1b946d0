"""Who approved this production deployment, checked against the contract's `model.approvers`.

The deploy workflow's `production` environment has required reviewers, but those are repository settings:
anyone the settings list can approve, whoever the contract names. This check binds the two: the production
job asks GitHub who approved the run's environments (`gh api repos/OWNER/REPO/actions/runs/ID/approvals`,
saved to a file) and fails, in one line, unless one of `model.approvers` approved `production`.

An approver in the contract is a GitHub login (`octocat` or `@octocat`) or an email address. GitHub tells
who approved by login; an email matches an approver whose noreply address it is
(`12345+octocat@users.noreply.github.com`) or whose public profile email it is (the API gives it only when
the profile shows it). So list logins: an email that is neither fails the check, saying so.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .contract import load_contract
from .errors import ProjectError, reports_errors
from .paths import CONTRACT_FILE

NOREPLY_DOMAIN = "users.noreply.github.com"
NOT_APPROVED = 1


class ApprovalsError(ProjectError):
    """The approvals file is missing or is not what the approvals API answers."""


@dataclass(frozen=True)
class Approver:
    """Someone who approved, as GitHub names them."""

    login: str
    email: str | None = None


def approvers_of(approvals: Any, environment: str, source: Path) -> list[Approver]:
    """Who approved `environment` in the API's answer: a list of reviews, each with its state, the
    environments it covers and its user."""
    if not isinstance(approvals, list):
        raise ApprovalsError(
            f"{source}: expected the list the approvals API answers, got {type(approvals).__name__}"
        )
    approved = []
    for review in approvals:
        try:
            names = {item["name"] for item in review["environments"]}
            user = review["user"]
            if review["state"] == "approved" and environment in names:
                approved.append(Approver(str(user["login"]), user.get("email") or None))
        except (KeyError, TypeError) as error:
            raise ApprovalsError(
                f"{source}: a review without {error} is not an approvals API answer"
            ) from None
    return approved


def login_of(entry: str) -> str | None:
    """The GitHub login an approver of the contract names: a login, `@login`, or a noreply address."""
    entry = entry.strip()
    if "@" not in entry.lstrip("@"):
        return entry.lstrip("@").lower()
    local, _, domain = entry.rpartition("@")
    if domain.lower() == NOREPLY_DOMAIN:
        return local.split("+", 1)[-1].lower()
    return None


def is_listed(approver: Approver, listed: Sequence[str]) -> bool:
    for entry in listed:
        login = login_of(entry)
        if login is not None and login == approver.login.lower():
            return True
        if login is None and approver.email and entry.strip().lower() == approver.email.lower():
            return True
    return False


def check(
    approved: Sequence[Approver], listed: Sequence[str], environment: str, contract: Path = CONTRACT_FILE
) -> str | None:
    """None when one of `approved` is listed in the contract, else the one line that says why not."""
    if any(is_listed(approver, listed) for approver in approved):
        return None
    who = ", ".join(approver.login for approver in approved) or "nobody"
    line = (
        f"{environment} was approved by {who}, none of model.approvers in {contract} "
        f"({', '.join(listed) or 'empty'})"
    )
    if listed and all(login_of(entry) is None for entry in listed):
        line += ": they are emails; list the GitHub logins of the people who approve"
    return line


def read_approvals(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ApprovalsError(f"{path}: cannot read it ({error.strerror})") from None
    except json.JSONDecodeError as error:
        raise ApprovalsError(f"{path}:{error.lineno}: not JSON ({error.msg})") from None


@reports_errors
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("approvals", type=Path, help="the approvals API's answer (JSON)")
    parser.add_argument("--environment", default="production", help="(default: %(default)s)")
    parser.add_argument("--contract", type=Path, default=CONTRACT_FILE, help="(default: %(default)s)")
    arguments = parser.parse_args(argv)
    listed = load_contract(arguments.contract).model.approvers
    approved = approvers_of(read_approvals(arguments.approvals), arguments.environment, arguments.approvals)
    problem = check(approved, listed, arguments.environment, arguments.contract)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return NOT_APPROVED
    names = ", ".join(approver.login for approver in approved if is_listed(approver, listed))
    print(f"{arguments.environment} approved by {names}, listed in model.approvers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
