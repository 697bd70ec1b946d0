"""All-or-nothing writes stay inside the project they write into: nothing above it is ever removed."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaffold.atomic import replace_all, write_all


def test_deleting_a_folders_last_file_removes_the_folder_but_never_the_project_or_above(
    tmp_path: Path,
) -> None:
    parent = tmp_path / "parent"  # otherwise empty: the project is all it holds
    project = parent / "project"
    notes = project / "docs" / "old" / "notes.txt"
    notes.parent.mkdir(parents=True)
    notes.write_text("the project's last file\n")

    replace_all({notes: None}, root=project)

    assert not (project / "docs").exists()  # the folders the deletion emptied go
    assert project.is_dir() and list(project.iterdir()) == []  # the project stays, even empty
    assert [path.name for path in tmp_path.iterdir()] == ["parent"]


def test_a_relative_root_is_the_same_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    (project / "reports").mkdir(parents=True)
    (project / "reports" / "old.csv").write_text("a\n")
    monkeypatch.chdir(project)

    replace_all({Path("reports/old.csv"): None}, root=Path("."))

    assert project.is_dir() and not (project / "reports").exists()


def test_a_path_outside_the_project_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    inside, outside = project / "dvc.yaml", project / ".." / "elsewhere.txt"

    with pytest.raises(ValueError, match="is not inside"):
        write_all({inside: "stages: {}\n", outside: "x\n"}, root=project)

    assert not inside.exists() and not (tmp_path / "elsewhere.txt").exists()
