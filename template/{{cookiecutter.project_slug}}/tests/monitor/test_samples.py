"""The monitoring samples: reproducible draws of held-out rows, and the drifted one shifts every feature."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from {{ cookiecutter.package_name }}.features import (
    BOOLEAN_FEATURES,
    CATEGORICAL_FEATURES,
    NUMERIC_FEATURES,
)
from {{ cookiecutter.package_name }}.monitor import samples
from {{ cookiecutter.package_name }}.schemas import SCHEMAS


def test_samples_are_reproducible_byte_for_byte(tmp_path: Path, held_out_csv: Path) -> None:
    first = samples.write_sample(tmp_path / "a.csv", rows=200, seed=3, drift=True, source=held_out_csv)
    second = samples.write_sample(tmp_path / "b.csv", rows=200, seed=3, drift=True, source=held_out_csv)
    assert first.read_bytes() == second.read_bytes()
    assert not list(tmp_path.glob(".*.partial"))  # written through a temporary file, then renamed


def test_the_drift_shifts_every_feature_and_keeps_the_data_valid(tmp_path: Path, held_out_csv: Path) -> None:
    fresh = pd.read_csv(samples.write_sample(tmp_path / "fresh.csv", rows=400, seed=3, source=held_out_csv))
    drifted = pd.read_csv(
        samples.write_sample(tmp_path / "d.csv", rows=400, seed=3, drift=True, source=held_out_csv)
    )

    codes = tuple(name for name in NUMERIC_FEATURES if samples.has_allowed_values(name))
    for name in NUMERIC_FEATURES:
        if name not in codes:
            assert drifted[name].mean() > fresh[name].mean(), name
    for name in CATEGORICAL_FEATURES + BOOLEAN_FEATURES + codes:
        rarest = fresh[name].value_counts().index[-1]
        assert (drifted[name] == rarest).mean() > (fresh[name] == rarest).mean() + 0.3, name
    SCHEMAS["processed"].validate(drifted)  # drift is not invalid data


def test_the_command_writes_where_it_is_told(tmp_path: Path, held_out_csv: Path) -> None:
    output = tmp_path / "monitoring/current.csv"
    arguments = ["--rows", "50", "--output", str(output), "--source", str(held_out_csv)]
    assert samples.main(arguments) == 0
    assert len(output.read_text().splitlines()) == 51


def test_a_missing_source_says_what_writes_it(tmp_path: Path) -> None:
    assert samples.main(["--source", str(tmp_path / "test.csv"), "--output", str(tmp_path / "out.csv")]) == 2
    assert not (tmp_path / "out.csv").exists()
