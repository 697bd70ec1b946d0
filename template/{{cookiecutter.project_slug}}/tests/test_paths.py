"""The frames the model is fitted and judged on come from dvc.yaml, so a stage added in between moves them."""

from __future__ import annotations

from pathlib import Path

from {{ cookiecutter.package_name }}.paths import PACKAGE, TEST_SPLIT, TRAIN_SPLIT, model_frames

PIPELINE = """stages:
  train:
    cmd: python -m PACKAGE.stages.train --train-data TRAIN
  evaluate:
    cmd: python -m PACKAGE.stages.evaluate --test-data TEST
""".replace("PACKAGE", PACKAGE)


def test_they_are_what_the_train_and_evaluate_stages_read(tmp_path: Path) -> None:
    pipeline = tmp_path / "dvc.yaml"
    train, test = "data/featurize/train.csv", "data/featurize/test.csv"
    pipeline.write_text(PIPELINE.replace("TRAIN", train).replace("TEST", test))
    frames = model_frames(pipeline)
    assert (frames.train, frames.test) == (Path(train), Path(test))


def test_the_projects_pipeline_names_frames_that_a_stage_writes(project_root: Path) -> None:
    import yaml

    stages = yaml.safe_load((project_root / "dvc.yaml").read_text())["stages"]
    written = {
        str(next(iter(out))) if isinstance(out, dict) else str(out)
        for stage in stages.values()
        for out in stage.get("outs", [])
    }
    frames = model_frames(project_root / "dvc.yaml")
    assert {frames.train.as_posix(), frames.test.as_posix()} <= written


def test_without_a_readable_dvc_yaml_they_are_the_split(tmp_path: Path) -> None:
    (tmp_path / "dvc.yaml").write_text("stages: [\n")
    assert model_frames(tmp_path / "dvc.yaml") == model_frames(tmp_path / "missing.yaml")
    assert (model_frames(tmp_path / "missing.yaml").train, model_frames(tmp_path / "missing.yaml").test) == (
        TRAIN_SPLIT,
        TEST_SPLIT,
    )
