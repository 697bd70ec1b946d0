"""The production deploy's approval check: one of the contract's approvers must have approved the run.

Given the approvals API's answer (the shape GitHub documents for `GET .../actions/runs/ID/approvals`) and
the project's contract with its approvers set as a user would, the check passes, or fails in one line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from {{ cookiecutter.package_name }} import approvals


def review(
    login: str, state: str = "approved", environment: str = "production", **user: Any
) -> dict[str, Any]:
    return {
        "environments": [{"id": 1, "name": environment}],
        "state": state,
        "comment": "",
        "user": {"login": login, "id": 1, "type": "User", **user},
    }


@pytest.fixture
def run_check(tmp_path: Path, project_root: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    """Run `python -m <package>.approvals` on the project's contract with `listed` as its approvers."""

    def run(listed: list[str], reviews: Any) -> tuple[int, str]:
        contract = yaml.safe_load((project_root / "model_contract.yaml").read_text())
        contract["model"]["approvers"] = listed
        (tmp_path / "model_contract.yaml").write_text(yaml.safe_dump(contract))
        (tmp_path / "approvals.json").write_text(json.dumps(reviews))
        status = approvals.main(
            [str(tmp_path / "approvals.json"), "--contract", str(tmp_path / "model_contract.yaml")]
        )
        captured = capsys.readouterr()
        return status, (captured.out + captured.err).strip()

    return run


def test_an_approver_of_the_contract_approved(run_check: Any) -> None:
    status, output = run_check(["alice", "@Bob"], [review("someone"), review("bob")])
    assert (status, output) == (0, "production approved by bob, listed in model.approvers")


def test_only_others_approved(run_check: Any) -> None:
    status, output = run_check(["alice"], [review("mallory"), review("alice", environment="staging")])
    assert status == approvals.NOT_APPROVED
    assert output.startswith("error: production was approved by mallory, none of model.approvers in ")
    assert output.endswith("(alice)") and "\n" not in output


def test_a_rejection_is_no_approval(run_check: Any) -> None:
    status, output = run_check(["alice"], [review("alice", state="rejected")])
    assert status == approvals.NOT_APPROVED and "approved by nobody" in output


def test_an_email_matches_a_noreply_address_or_a_public_email(run_check: Any) -> None:
    assert run_check(["12345+alice@users.noreply.github.com"], [review("alice")])[0] == 0
    assert run_check(["alice@example.com"], [review("alice", email="Alice@example.com")])[0] == 0
    status, output = run_check(["alice@example.com"], [review("alice")])  # her profile hides her email
    assert status == approvals.NOT_APPROVED
    assert output.endswith("they are emails; list the GitHub logins of the people who approve")


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        ({"message": "Not Found"}, "expected the list the approvals API answers"),
        ([{"state": "approved"}], "without"),
    ],
)
def test_an_answer_that_is_not_the_apis_is_a_usage_error(run_check: Any, answer: Any, says: str) -> None:
    status, output = run_check(["alice"], answer)
    assert status == 2 and output.startswith("error: ") and says in output
