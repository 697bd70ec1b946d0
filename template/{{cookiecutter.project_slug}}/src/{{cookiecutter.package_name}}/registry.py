"""Promotion and rollback through the MLflow model registry, with aliases.

`promote`: register the candidate from the last `dvc repro` (alias @challenger), run the gate against the
current @champion on the same holdout, tag the version with its provenance and the verdict, and only if it
passed move @champion to it (the former champion becomes @previous). `rollback`: move @champion back to
@previous. `export`: copy the @champion model into a directory (deploy.yml bakes it into the serving image).
They run outside `dvc repro` (`make promote`, `make rollback`) so the pipeline stays reproducible.

When the candidate already is @champion (the same training run promoted again), the gate still judges it
against the contract as it is now: a tightened contract that the serving model no longer meets fails the
promotion (exit 1, aliases unchanged) instead of passing as "nothing to promote".

Exit status: 0 promoted or nothing to do, 1 the gate failed, 2 a problem with the inputs or the tracking
server (one line naming it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import mlflow
import mlflow.sklearn
import pandas as pd
import yaml
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from . import audit, gate, model_card
from .contract import Contract, load_contract
from .errors import ProjectError, reports_errors
from .paths import (
    CONTRACT_FILE,
    EXPORT_DIR,
    MODEL_CARD_JSON,
    MODEL_CARD_MARKDOWN,
    MODEL_DIR,
    PARAMS_FILE,
    RAW_DATA,
    RUN_FILE,
    model_frames,
)
from .tracking import TrackingUnavailable, start_tracking, tracking_uri

CHAMPION, CHALLENGER, PREVIOUS = "champion", "challenger", "previous"


class PromotionError(ProjectError):
    """The inputs of a promotion are missing or inconsistent (no trained model, no @previous...)."""


@dataclass(frozen=True)
class Outcome:
    version: str
    promoted: bool
    message: str
    result: gate.GateResult | None = None


def alias_version(client: MlflowClient, name: str, alias: str) -> ModelVersion | None:
    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def provenance() -> dict[str, str]:
    """What a registry version was made from: git commit, DVC data hash, params hash."""
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False)
    tags = {"git_commit": commit.stdout.strip() if commit.returncode == 0 else "none"}
    lock_file = Path("dvc.lock")
    if lock_file.is_file():
        lock = yaml.safe_load(lock_file.read_text(encoding="utf-8")) or {}
        deps = [dep for stage in lock.get("stages", {}).values() for dep in stage.get("deps", [])]
        tags["data_md5"] = next((dep["md5"] for dep in deps if dep["path"] == RAW_DATA.as_posix()), "unknown")
    params = yaml.safe_load(PARAMS_FILE.read_text(encoding="utf-8"))
    canonical = json.dumps(params, sort_keys=True).encode()
    tags["params_sha256"] = hashlib.sha256(canonical).hexdigest()
    return tags


def register_candidate(client: MlflowClient, name: str, run: dict[str, str]) -> ModelVersion:
    """Register the trained model once: promoting the same training run again reuses its version."""
    for version in client.search_model_versions(f"name = '{name}'"):
        if version.run_id == run["run_id"]:
            return version
    return mlflow.register_model(run["model_uri"], name, tags=provenance())


def write_model_card(
    client: MlflowClient, contract: Contract, result: gate.GateResult, version: ModelVersion, run_id: str
) -> None:
    """reports/model_card.md and .json; the markdown becomes the version's description, both files artifacts
    of the training run (under model_card/)."""
    tags = client.get_model_version(contract.model.name, version.version).tags
    lineage = {key: tags[key] for key in ("git_commit", "data_md5", "params_sha256") if key in tags}
    card = model_card.build(contract, result, version=str(version.version), run_id=run_id, lineage=lineage)
    markdown = model_card.write(card)
    client.update_model_version(contract.model.name, version.version, description=markdown)
    for path in (MODEL_CARD_MARKDOWN, MODEL_CARD_JSON):
        client.log_artifact(run_id, str(path), artifact_path="model_card")


def promote(
    contract_path: Path = CONTRACT_FILE,
    *,
    model_dir: Path = MODEL_DIR,
    run_file: Path = RUN_FILE,
    holdout_file: Path | None = None,
    latency_samples: int = gate.LATENCY_SAMPLES,
) -> Outcome:
    """Register the candidate, gate it against the champion, and move the aliases if it passed."""
    contract = load_contract(contract_path)
    if not run_file.is_file() or not model_dir.is_dir():
        raise PromotionError(f"{run_file}: no trained model; run `dvc repro` first")
    holdout_file = holdout_file or model_frames().test
    run = json.loads(run_file.read_text(encoding="utf-8"))
    name = contract.model.name
    client = MlflowClient()
    candidate = register_candidate(client, name, run)
    champion = alias_version(client, name, CHAMPION)
    rejudged = champion is not None and champion.version == candidate.version
    if not rejudged:
        client.set_registered_model_alias(name, CHALLENGER, candidate.version)
    result = gate.check(
        candidate=mlflow.sklearn.load_model(str(model_dir)),
        candidate_dir=model_dir,
        candidate_label=f"{name} version {candidate.version}",
        champion=mlflow.sklearn.load_model(f"models:/{name}@{CHAMPION}")
        if champion and not rejudged
        else None,
        champion_label=f"version {champion.version}" if champion and not rejudged else None,
        holdout=pd.read_csv(holdout_file),
        contract=contract,
        latency_samples=latency_samples,
    )
    gate.write_reports(result)
    write_model_card(client, contract, result, candidate, run["run_id"])
    client.set_model_version_tag(name, candidate.version, "gate", "passed" if result.passed else "failed")
    client.set_model_version_tag(name, candidate.version, "contract_version", contract.model.version)
    failed = ", ".join(rule.name for rule in result.failures)
    if rejudged:
        if result.passed:
            message = (
                f"version {candidate.version} is already @{CHAMPION} (same training run) and still meets "
                "the contract: nothing to promote"
            )
            return Outcome(str(candidate.version), promoted=False, message=message, result=result)
        message = (
            f"version {candidate.version} is @{CHAMPION} but no longer meets the contract ({failed}); "
            f"the aliases are unchanged: train a model that meets it, or roll back. See {gate.GATE_MARKDOWN}"
        )
        return Outcome(str(candidate.version), promoted=False, message=message, result=result)
    if not result.passed:
        keeper = f"@{CHAMPION} stays on version {champion.version}" if champion else f"no @{CHAMPION} yet"
        message = (
            f"version {candidate.version} failed the gate ({failed}); {keeper}. See {gate.GATE_MARKDOWN}"
        )
        return Outcome(str(candidate.version), promoted=False, message=message, result=result)
    if champion is not None:
        client.set_registered_model_alias(name, PREVIOUS, champion.version)
    client.set_registered_model_alias(name, CHAMPION, candidate.version)
    before, after = (str(champion.version) if champion else None), str(candidate.version)
    verdict = f"passed, {gate.GATE_MARKDOWN} of run {run['run_id']}"
    audit.record(client, name, action="promote", alias=CHAMPION, before=before, after=after, gate=verdict)
    former = f"; version {champion.version} is @{PREVIOUS}" if champion else ""
    message = (
        f"version {candidate.version} passed the gate and is @{CHAMPION}{former}. See {gate.GATE_MARKDOWN}"
    )
    return Outcome(str(candidate.version), promoted=True, message=message, result=result)


def rollback(contract_path: Path = CONTRACT_FILE) -> str:
    """Move @champion back to @previous; the version rolled back from is tagged and loses its alias."""
    name = load_contract(contract_path).model.name
    client = MlflowClient()
    previous = alias_version(client, name, PREVIOUS)
    current = alias_version(client, name, CHAMPION)
    if previous is None or current is None:
        raise PromotionError(f"model {name!r} has no @{PREVIOUS} version to roll back to")
    client.set_registered_model_alias(name, CHAMPION, previous.version)
    client.delete_registered_model_alias(name, PREVIOUS)
    client.set_model_version_tag(name, current.version, "rolled_back", "true")
    gate = f"not run: back to version {previous.version}, which passed when promoted"
    audit.record(
        client,
        name,
        action="rollback",
        alias=CHAMPION,
        before=str(current.version),
        after=str(previous.version),
        gate=gate,
    )
    return f"@{CHAMPION} is back on version {previous.version} (was version {current.version})"


def history(contract_path: Path = CONTRACT_FILE) -> list[str]:
    """The audit trail of the model's @champion, one line per move, oldest first."""
    name = load_contract(contract_path).model.name
    client = MlflowClient()
    try:
        entries = audit.history(client, name)
    except MlflowException:
        raise PromotionError(f"model {name!r} is not registered yet: nothing was promoted") from None
    return audit.to_lines(entries) or [f"model {name!r}: no alias was moved yet"]


def export(destination: Path = EXPORT_DIR, alias: str = CHAMPION, contract_path: Path = CONTRACT_FILE) -> str:
    """Download the model behind an alias into `destination`, replacing it only once the copy is complete."""
    name = load_contract(contract_path).model.name
    version = alias_version(MlflowClient(), name, alias)
    if version is None:
        raise PromotionError(f"model {name!r} has no @{alias} version to export")
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}-", dir=destination.parent))
    try:
        mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{name}@{alias}", dst_path=str(staging))
        (staging / "VERSION").write_text(f"{version.version}\n", encoding="utf-8")
        if version.description:  # the model card of its promotion, shipped with the model
            (staging / MODEL_CARD_MARKDOWN.name).write_text(version.description, encoding="utf-8")
        if destination.exists():
            shutil.rmtree(destination)
        staging.rename(destination)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return f"@{alias} is version {version.version}: exported to {destination}"


@reports_errors
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Promote, roll back or export the registered model.")
    parser.add_argument("command", choices=["promote", "rollback", "export", "history"])
    parser.add_argument("--to", type=Path, default=EXPORT_DIR, help="export: the directory to write")
    args = parser.parse_args(argv)
    start_tracking()
    try:
        if args.command == "rollback":
            print(rollback())
            return 0
        if args.command == "history":
            print("\n".join(history()))
            return 0
        if args.command == "export":
            print(export(args.to))
            return 0
        outcome = promote()
    except MlflowException as error:  # the server answered, but not as a registry should
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise TrackingUnavailable(f"the MLflow tracking server at {tracking_uri()}: {first_line}") from None
    if outcome.result is not None:
        print(gate.to_markdown(outcome.result))
    print(outcome.message)
    failed = outcome.result is not None and not outcome.result.passed
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
