"""`scaffold new --data FILE --target COLUMN`: the project is rendered around the user's table, whose spec is
inferred and said; a bad table or option is one line, exit 2, and nothing is written."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import feature_spec, git
from scaffold.cli import cli


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def table(tmp_path: Path) -> Path:
    """A small binary table: an id, two numbers (one with gaps), a category, a flag, string labels."""
    rows = [
        [
            f"r{index}",
            20 + index % 50,
            "" if index % 17 == 0 else 1.5 * (index % 13),
            ["a", "b", "c"][index % 3],
            index % 4 == 0,
            "late" if index % 5 == 0 else "on time",
        ]
        for index in range(300)
    ]
    return write_csv(
        tmp_path / "orders.csv", ["order id", "age", "Body-Mass", "region", "repeat", "delivery"], rows
    )


def new(*args: str, output: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["new", "--no-input", "-o", str(output), *args])
    return result.exit_code, result.stdout, result.stderr


def test_the_spec_is_inferred_said_and_rendered(table: Path, tmp_path: Path) -> None:
    code, _, err = new(
        "--data", str(table), "--target", "delivery", "--id-column", "order id", output=tmp_path / "out"
    )
    assert code == 0, err
    assert "task: binary (inferred from the target 'delivery': text values, 2 distinct value(s))" in err
    project = tmp_path / "out" / "orders"
    spec = feature_spec(project)
    assert (spec["TASK"], spec["TARGET"], spec["ID_COLUMN"]) == ("binary", "delivery", "order id")
    assert spec["CLASSES"] == ("on time", "late")  # the rarer class is the positive one, last
    assert spec["NUMERIC_FEATURES"] == ("age", "Body-Mass")
    assert spec["BOOLEAN_FEATURES"] == ("repeat",) and spec["CATEGORIES"] == {"region": ("a", "b", "c")}
    schemas = next(project.glob("src/*/schemas.py")).read_text()
    assert 'body_mass: Series[float] = pa.Field(alias="Body-Mass", ge=0.0, le=19.8, nullable=True)' in schemas
    assert 'order_id: Series[str] = pa.Field(alias="order id", unique=True)' in schemas
    answers = json.loads((project / ".scaffold-answers.json").read_text())["cookiecutter"]
    assert answers["_data_source"] == "own" and answers["_data_spec"]["rows"] == 300
    assert "_data_file" not in answers  # a path on this machine: not part of the project
    assert (
        not list(project.glob("src/*/example_data.py"))
        and not (project / "tests/test_example_data.py").exists()
    )


def test_the_data_is_versioned_not_committed(table: Path, tmp_path: Path) -> None:
    code, _, err = new("--data", str(table), "--target", "delivery", output=tmp_path / "out")
    assert code == 0, err
    project = tmp_path / "out" / "orders"
    tracked = git(project, "ls-files").split()
    assert "data/raw/orders.csv" not in tracked and "data/raw/orders.csv.dvc" in tracked
    assert (project / "data/raw/orders.csv").read_bytes() == table.read_bytes()
    md5 = yaml.safe_load((project / "data/raw/orders.csv.dvc").read_text())["outs"][0]["md5"]
    remote = Path((project / ".dvc/config").read_text().split("url = ")[1].split()[0])
    assert (remote / "files/md5" / md5[:2] / md5[2:]).read_bytes() == table.read_bytes()  # pushed


def test_size_bound_defaults_are_chosen_and_said(table: Path, tmp_path: Path) -> None:
    assert new("--data", str(table), "--target", "delivery", output=tmp_path / "out")[0] == 0
    params = (tmp_path / "out/orders/params.yaml").read_text()
    assert "test_size: 0.2  # share of the rows held out: 20%, at most 100,000 rows (for 300 rows)" in params
    assert "min_current_rows: 30  #" in params and "(for 300 rows)" in params


def test_a_name_the_shell_would_split_is_stored_safely(table: Path, tmp_path: Path) -> None:
    spaced = table.rename(tmp_path / "my orders.csv")
    code, _, err = new("--data", str(spaced), "--target", "delivery", output=tmp_path / "out")
    assert code == 0 and "stored as data/raw/my_orders.csv" in err
    assert (tmp_path / "out/my-orders/data/raw/my_orders.csv").is_file()


def test_the_help_imports_neither_pandas_nor_pyarrow() -> None:
    probe = (
        "import sys\nfrom scaffold.cli import main\nsys.argv = ['scaffold', 'new', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted({name.split('.')[0] for name in sys.modules} & {'pandas', 'pyarrow', 'numpy'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "--data" in result.stdout and result.stdout.strip().splitlines()[-1] == "[]"


BAD_TABLES = {
    "missing": (None, ["--target", "y"], "no such file"),
    "directory": ("<dir>", ["--target", "y"], "is not a file"),
    "empty": (b"", ["--target", "y"], "is empty: no header row"),
    "header only": (b"x,y\n", ["--target", "y"], "has a header but no rows"),
    "not a table": (b'{"x": 1}', ["--target", "y"], "is not a table scaffold can read"),
    "not utf-8": ("x,y\ncaf\xe9,1\ncafe,0\n".encode("latin-1"), ["--target", "y"], "is not UTF-8 text"),
    "duplicate columns": (b"x,x,y\n1,2,0\n3,4,1\n", ["--target", "y"], "has duplicate column names: 'x'"),
    "target not a column": (
        b"x,label\n1,0\n2,1\n",
        ["--target", "lable"],
        "--target 'lable' is not a column",
    ),
    "one class": (b"x,y\n1,a\n2,a\n3,a\n", ["--target", "y"], "has one class only ('a')"),
    "empty target": (b"x,y\n1,\n2,\n", ["--target", "y"], "--target 'y' is empty"),
    "regression of text": (
        b"x,y\n1,a\n2,b\n3,a\n",
        ["--target", "y", "--task", "regression"],
        "needs a numeric",
    ),
    "id not a column": (
        b"x,y\n1,0\n2,1\n3,0\n4,1\n",
        ["--target", "y", "--id-column", "ident"],
        "--id-column 'ident'",
    ),
    "protected not a column": (
        b"x,y\n1,0\n2,1\n3,0\n4,1\n",
        ["--target", "y", "--protected-attribute", "sex"],
        "--protected-attribute 'sex' is not a column",
    ),
    "personal not a column": (
        b"x,y\n1,0\n2,1\n3,0\n4,1\n",
        ["--target", "y", "--personal", "x", "--personal", "nam"],
        "--personal 'nam' is not a column",
    ),
    "personal target": (
        b"x,y\n1,0\n2,1\n3,0\n4,1\n",
        ["--target", "y", "--personal", "y"],
        "--personal 'y' is the target",
    ),
    "duplicate ids": (
        b"k,x,y\n1,1,0\n1,2,1\n3,3,0\n4,4,1\n",
        ["--target", "y", "--id-column", "k"],
        "duplicate",
    ),
}


@pytest.mark.parametrize("case", list(BAD_TABLES))
def test_a_bad_table_is_one_line_exit_2_and_nothing_written(tmp_path: Path, case: str) -> None:
    content, options, message = BAD_TABLES[case]
    suffix = ".json" if case == "not a table" else ".csv"
    data = tmp_path / f"data{suffix}"
    if content == "<dir>":
        data.mkdir()
    elif content is not None:
        data.write_bytes(content)
    output = tmp_path / "out"

    code, out, err = new("--data", str(data), *options, output=output)

    assert code == 2, (out, err)
    assert err.startswith("error: ") and message in err and err.count("\n") == 1, err
    assert not output.exists() or list(output.iterdir()) == []


def test_personal_features_are_the_named_ones_or_the_protected_attribute(table: Path, tmp_path: Path) -> None:
    code, _, err = new(
        *("--data", str(table), "--target", "delivery", "--id-column", "order id"),
        *("--personal", "age", "--personal", "region", "--personal", "order id"),
        output=tmp_path / "named",
    )
    assert code == 0, err
    assert feature_spec(tmp_path / "named" / "orders")["PERSONAL_FEATURES"] == ("age", "region")
    assert "note: --personal 'order id' is not a feature" in err  # the id never reaches the service

    code, _, err = new(
        *("--data", str(table), "--target", "delivery", "--protected-attribute", "region"),
        output=tmp_path / "default",
    )
    assert code == 0, err
    assert feature_spec(tmp_path / "default" / "orders")["PERSONAL_FEATURES"] == ("region",)
    assert "'region', the protected attribute, is personal" in err

    code, _, err = new("--data", str(table), "--target", "delivery", output=tmp_path / "none")
    assert code == 0 and feature_spec(tmp_path / "none" / "orders")["PERSONAL_FEATURES"] == ()


def test_close_matches_of_a_mistyped_target_are_named(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "t.csv", ["amount", "label"], [[1, 0], [2, 1], [3, 0]])
    code, _, err = new("--data", str(data), "--target", "lable", output=tmp_path / "out")
    assert code == 2 and "(did you mean 'label'?)" in err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--target", "y"], "--target needs --data FILE"),
        (["--data", "t.csv"], "--data needs --target COLUMN"),
        (["--personal", "age"], "--personal needs --data FILE"),
    ],
)
def test_data_options_come_together(tmp_path: Path, options: list[str], message: str) -> None:
    code, _, err = new(*options, output=tmp_path / "out")
    assert code == 2 and message in err


@pytest.mark.parametrize(("ids", "repeats"), [(["a", "b", "c", "d"], 0), (["a", "b", "a", "c", "a"], 2)])
def test_colliding_id_hashes_are_settled_on_the_ids_themselves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ids: list[str], repeats: int
) -> None:
    """Every id hashed alike (the worst collision): the count of repeated ids is still exact."""
    import pyarrow as pa

    from scaffold.tables import profile

    monkeypatch.setattr(profile, "hashes", lambda values: pa.array([7] * len(values.drop_null()), pa.int64()))
    path = tmp_path / "t.csv"
    path.write_text("id,y\n" + "".join(f"{value},{index % 2}\n" for index, value in enumerate(ids)))
    assert profile.profile(path, unique="id").duplicated_ids == repeats
