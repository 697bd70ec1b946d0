"""The example's generator: deterministic, the source of the DVC-tracked file, and harmless to your data."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import example_data
from {{ cookiecutter.package_name }}.paths import RAW_DATA


def test_same_seed_gives_the_same_bytes() -> None:
    assert example_data.to_csv(rows=50, seed=3) == example_data.to_csv(rows=50, seed=3)
    assert example_data.to_csv(rows=50, seed=3) != example_data.to_csv(rows=50, seed=4)


def test_regenerating_the_tracked_example_gives_the_file_dvc_tracks(project_root: Path) -> None:
    tracked = example_data.tracked_md5(project_root / RAW_DATA)
    if tracked is None:
        pytest.skip(f"{RAW_DATA} is not tracked by DVC yet")
    if tracked != hashlib.md5(example_data.to_csv()).hexdigest():
        pytest.skip(f"{RAW_DATA}.dvc tracks your own data, not the example's")
    assert example_data.main(["--output", str(project_root / RAW_DATA)]) == 0


def test_it_refuses_to_overwrite_other_tracked_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data.csv"
    data.write_text("yours\n")
    (tmp_path / "data.csv.dvc").write_text(
        f"outs:\n- md5: {hashlib.md5(b'yours').hexdigest()}\n  path: data.csv\n"
    )

    assert example_data.main(["--output", str(data)]) == 2

    assert data.read_text() == "yours\n"
    assert "tracks other data than the example" in capsys.readouterr().err


def test_it_writes_an_untracked_file(tmp_path: Path) -> None:
    assert example_data.main(["--rows", "20", "--output", str(tmp_path / "data.csv")]) == 0
    assert (tmp_path / "data.csv").read_bytes() == example_data.to_csv(rows=20)
    assert not list(tmp_path.glob(".*.partial"))
