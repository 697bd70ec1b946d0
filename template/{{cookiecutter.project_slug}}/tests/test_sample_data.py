"""The generator is the source of the DVC-tracked sample: it must be deterministic and match it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from {{ cookiecutter.package_name }}.features import TARGET
from {{ cookiecutter.package_name }}.sample_data import COLUMNS, generate, write_csv


def test_same_seed_gives_the_same_rows() -> None:
    assert generate(rows=50, seed=3) == generate(rows=50, seed=3)
    assert generate(rows=50, seed=3) != generate(rows=50, seed=4)


def test_default_sample_is_the_file_dvc_tracks(tmp_path: Path, project_root: Path) -> None:
    tracked = yaml.safe_load((project_root / "data/raw/churn.csv.dvc").read_text())["outs"][0]
    regenerated = write_csv(tmp_path / "churn.csv")
    assert hashlib.md5(regenerated.read_bytes()).hexdigest() == tracked["md5"]
    assert regenerated.stat().st_size == tracked["size"]


def test_sample_has_both_classes_and_the_documented_columns(tmp_path: Path) -> None:
    header, *rows = write_csv(tmp_path / "churn.csv", rows=500).read_text().splitlines()
    assert header.split(",") == list(COLUMNS)
    churn_rate = sum(row.endswith(",1") for row in rows) / len(rows)
    assert 0.2 < churn_rate < 0.6, f"churn rate {churn_rate:.2f}"
    assert COLUMNS[-1] == TARGET
