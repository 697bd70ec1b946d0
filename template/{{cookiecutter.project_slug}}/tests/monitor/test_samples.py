"""The monitoring samples: reproducible, and the drifted one shifts exactly the features it says."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from {{ cookiecutter.package_name }}.monitor import samples


def test_samples_are_reproducible_byte_for_byte(tmp_path: Path) -> None:
    first = samples.write_sample(tmp_path / "a.csv", rows=200, seed=3, drift=True)
    second = samples.write_sample(tmp_path / "b.csv", rows=200, seed=3, drift=True)
    assert first.read_bytes() == second.read_bytes()
    assert not list(tmp_path.glob(".*.partial"))  # written through a temporary file, then renamed


def test_the_drift_shifts_charges_tenure_and_contracts_only(tmp_path: Path) -> None:
    fresh = pd.read_csv(samples.write_sample(tmp_path / "fresh.csv", rows=400, seed=3))
    drifted = pd.read_csv(samples.write_sample(tmp_path / "drifted.csv", rows=400, seed=3, drift=True))

    assert drifted["monthly_charges"].mean() > 1.3 * fresh["monthly_charges"].mean()
    assert drifted["tenure_months"].mean() < 0.4 * fresh["tenure_months"].mean()
    month_to_month = (drifted["contract"] == "month-to-month").mean()
    assert month_to_month > (fresh["contract"] == "month-to-month").mean() + 0.15
    unchanged = ["customer_id", "gender", "internet_service", "payment_method", "support_calls", "churned"]
    pd.testing.assert_frame_equal(drifted[unchanged], fresh[unchanged])


def test_the_command_writes_where_it_is_told(tmp_path: Path) -> None:
    output = tmp_path / "monitoring/current.csv"
    samples.main(["--rows", "50", "--output", str(output)])
    assert len(output.read_text().splitlines()) == 51
