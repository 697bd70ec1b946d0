"""The frames the model is fitted and judged on come from dvc.yaml, so a stage added in between moves them."""

from __future__ import annotations

from pathlib import Path

from {{ cookiecutter.package_name }}.paths import TEST_SPLIT, TRAIN_SPLIT, model_frames


def test_the_pipeline_as_shipped_fits_and_judges_the_split(project_root: Path) -> None:
    frames = model_frames(project_root / "dvc.yaml")
    assert (frames.train, frames.test) == (TRAIN_SPLIT, TEST_SPLIT)


def test_a_rewired_pipeline_moves_them(project_root: Path, tmp_path: Path) -> None:
    text = (project_root / "dvc.yaml").read_text()
    rewired = text.replace(f"--train-data {TRAIN_SPLIT}", "--train-data data/featurize/train.csv")
    rewired = rewired.replace(f"--test-data {TEST_SPLIT}", "--test-data data/featurize/test.csv")
    assert rewired.count("data/featurize/") == 2
    (tmp_path / "dvc.yaml").write_text(rewired)
    frames = model_frames(tmp_path / "dvc.yaml")
    assert (frames.train, frames.test) == (Path("data/featurize/train.csv"), Path("data/featurize/test.csv"))


def test_without_a_readable_dvc_yaml_they_are_the_split(tmp_path: Path) -> None:
    (tmp_path / "dvc.yaml").write_text("stages: [\n")
    assert model_frames(tmp_path / "dvc.yaml") == model_frames(tmp_path / "missing.yaml")
    assert model_frames(tmp_path / "missing.yaml").train == TRAIN_SPLIT
