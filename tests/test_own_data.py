"""Three tables of the kinds users bring, none in the repository, each made into a project with `scaffold new
--data` and run as a user runs it: setup, pipeline, promotion, the service, the drift check, the tests, the
conformance check, then a stage added and everything again. Git tracks no data file.

- an all-numeric table with spaces in its column names and text labels (a diagnosis, binary);
- numeric and categorical columns with missing values, in Parquet, the protected attribute missing too;
- a regression target with a protected attribute coded as numbers.
"""

from __future__ import annotations

import csv
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import git
from projects import TURNOVER_RUN_BY_THE_DEMO, assert_conforms, assert_promoted_and_served, run
from scaffold.tables.spec import DataSpec


def diagnoses(path: Path) -> Path:
    rng = random.Random(1)
    path = path / "tumour diagnosis.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["mean radius", "mean texture", "mean smoothness", "worst area", "diagnosis"])
        for _ in range(569):
            radius, texture, smooth = rng.gauss(14, 3.5), rng.gauss(19, 4), rng.gauss(0.096, 0.014)
            score = (radius - 14) / 3.5 + (texture - 19) / 6 + (smooth - 0.096) / 0.02 + rng.gauss(0, 0.7)
            label = "malignant" if score > 0.6 else "benign"
            writer.writerow(
                [f"{radius:.2f}", f"{texture:.2f}", f"{smooth:.5f}", f"{3.1 * radius**2:.1f}", label]
            )
    return path


def subscriptions(path: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(2)
    rows = []
    for index in range(3000):
        age = None if rng.random() < 0.03 else float(rng.randint(18, 80))
        plan = None if rng.random() < 0.03 else rng.choice(["basic", "plus", "premium"])
        score = ((age or 45) - 45) / 15 + (1.0 if plan == "premium" else 0.0) + rng.gauss(0, 0.8)
        rows.append(
            {
                "Customer ID": f"c{index}",
                "Age": age,
                "Annual Income": None if rng.random() < 0.05 else rng.lognormvariate(10.5, 0.5),
                "Sex": None if rng.random() < 0.04 else rng.choice(["F", "M"]),
                "Plan": plan,
                "Body-Mass": rng.gauss(26, 4),
                "churn": "yes" if score > 0.5 else "no",
            }
        )
    pq.write_table(pa.Table.from_pylist(rows), path / "subscriptions.parquet")
    return path / "subscriptions.parquet"


def houses(path: Path) -> Path:
    rng = random.Random(3)
    path = path / "houses.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "sqft", "rooms", "district", "owner_group", "price"])
        for index in range(1500):
            sqft, rooms = rng.uniform(400, 3500), rng.randint(1, 6)
            district = rng.choice(["north", "south", "east", "west"])
            uplift = {"north": 30_000, "south": 0, "east": 10_000, "west": -10_000}[district]
            price = 50_000 + sqft * 180 + rooms * 5_000 + uplift + rng.gauss(0, 25_000)
            writer.writerow([index + 1, f"{sqft:.0f}", rooms, district, rng.randint(1, 4), f"{price:.0f}"])
    return path


SCAFFOLD = (sys.executable, "-m", "scaffold")
TABLES: dict[str, tuple[Callable[[Path], Path], list[str], str]] = {
    "numeric-spaces-text-labels": (diagnoses, ["--target", "diagnosis"], "binary"),
    "parquet-missing-values": (
        subscriptions,
        ["--target", "churn", "--id-column", "Customer ID", "--protected-attribute", "Sex"],
        "binary",
    ),
    "regression-coded-groups": (
        houses,
        ["--target", "price", "--id-column", "id", "--protected-attribute", "owner_group"],
        "regression",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(TABLES))
def test_a_users_table_becomes_a_project_that_passes_everything(tmp_path: Path, kind: str) -> None:
    make, options, task = TABLES[kind]
    (tmp_path / "source").mkdir()
    data = make(tmp_path / "source")
    created = run(
        tmp_path, *SCAFFOLD, "new", "--no-input", "-o", str(tmp_path / "out"), "--data", str(data), *options
    )
    [project] = (tmp_path / "out").iterdir()
    answers = json.loads((project / ".scaffold-answers.json").read_text())["cookiecutter"]
    spec = DataSpec.from_context(answers["_data_spec"])
    assert spec.task == task and (f"task: {task}" in created or "--task" in options)

    run(project, "uv", "sync", "--locked", "--quiet")
    run(project, "uv", "run", "dvc", "repro")
    assert_promoted_and_served(project, fairness=spec.protected_attribute is not None)
    git(project, "checkout", "--", "model_contract.yaml", "monitoring")  # the promotion lifted the SLA
    run(project, "make", "drift", "CURRENT=data/processed/test.csv")
    run(project, "uv", "run", "pytest", "-q", "-p", "no:cacheprovider", *TURNOVER_RUN_BY_THE_DEMO)
    assert_conforms(project)

    run(project, *SCAFFOLD, "add-stage", "featurize", "--after", "prepare")
    repro = run(project, "uv", "run", "dvc", "repro")
    assert repro.index("Running stage 'featurize'") < repro.index("Running stage 'train'")
    run(project, "uv", "run", "pytest", "-q", "-p", "no:cacheprovider", "tests/stages", "tests/test_paths.py")
    assert_conforms(project)
    data_files = [name for name in git(project, "ls-files").split() if name.startswith("data/")]
    assert data_files and all(name.endswith((".dvc", ".gitignore", ".gitkeep")) for name in data_files)
