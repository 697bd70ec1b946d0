"""Generate the bundled customer-churn sample, byte for byte the same on every machine.

Nothing is downloaded: the data is drawn from a fixed seed with `random.Random.random()` only, the one part of
`random` whose sequence Python guarantees across versions, and written with fixed float formatting. So CI can
regenerate `data/raw/churn.csv` instead of pulling it, and DVC sees the tracked file unchanged.

Churn depends on contract, tenure, charges, support calls and payment method; it does not depend on
gender, the protected attribute, so a fair model is possible. Standard library only: the post-generation
hook runs it before any dependency is installed.

Usage:
    python -m {{ cookiecutter.package_name }}.sample_data --help
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import sys
from collections.abc import Sequence
from pathlib import Path

from .features import CATEGORIES, FEATURES, ID_COLUMN, TARGET

DEFAULT_OUTPUT = Path("data/raw/churn.csv")
DEFAULT_ROWS = 5000
DEFAULT_SEED = 42
COLUMNS = (ID_COLUMN, *FEATURES, TARGET)

CONTRACT_WEIGHTS = (0.55, 0.25, 0.20)
INTERNET_WEIGHTS = (0.35, 0.45, 0.20)
PAYMENT_WEIGHTS = (0.22, 0.22, 0.34, 0.22)
CHURN_LOGIT = {
    "intercept": -2.6,
    "month-to-month": 2.6,
    "two-year": -2.2,
    "tenure_months": -0.07,
    "fiber": 1.1,
    "monthly_charges": 0.04,
    "support_calls": 0.7,
    "electronic-check": 0.9,
    "senior_citizen": 0.6,
}


def _choice(rng: random.Random, options: Sequence[str], weights: Sequence[float]) -> str:
    draw, cumulative = rng.random() * sum(weights), 0.0
    for option, weight in zip(options, weights, strict=True):
        cumulative += weight
        if draw < cumulative:
            return option
    return options[-1]


def _normal(rng: random.Random, mean: float, stdev: float) -> float:
    """Box-Muller from two uniform draws."""
    u1, u2 = 1.0 - rng.random(), rng.random()
    return mean + stdev * math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def _customer(rng: random.Random, index: int) -> dict[str, str | int]:
    contract = _choice(rng, CATEGORIES["contract"], CONTRACT_WEIGHTS)
    internet = _choice(rng, CATEGORIES["internet_service"], INTERNET_WEIGHTS)
    payment = _choice(rng, CATEGORIES["payment_method"], PAYMENT_WEIGHTS)
    gender = _choice(rng, CATEGORIES["gender"], (0.5, 0.5))
    senior = int(rng.random() < 0.16)
    longest = {"month-to-month": 36, "one-year": 60, "two-year": 72}[contract]
    tenure = int(rng.random() * (longest + 1))
    base_charge = {"dsl": 55.0, "fiber": 85.0, "none": 25.0}[internet]
    monthly = round(max(18.0, _normal(rng, base_charge, 12.0)), 2)
    total = round(monthly * tenure * (0.95 + 0.1 * rng.random()), 2)
    support_calls = min(10, int(-math.log(1.0 - rng.random()) * (2.2 if internet == "fiber" else 1.2)))

    logit = (
        CHURN_LOGIT["intercept"]
        + CHURN_LOGIT.get(contract, 0.0)
        + CHURN_LOGIT["tenure_months"] * tenure
        + CHURN_LOGIT.get(internet, 0.0)
        + CHURN_LOGIT["monthly_charges"] * (monthly - 60.0)
        + CHURN_LOGIT["support_calls"] * support_calls
        + CHURN_LOGIT.get(payment, 0.0)
        + CHURN_LOGIT["senior_citizen"] * senior
    )
    churned = int(rng.random() < 1.0 / (1.0 + math.exp(-logit)))
    return {
        ID_COLUMN: f"C{index:06d}",
        "senior_citizen": senior,
        "tenure_months": tenure,
        "monthly_charges": f"{monthly:.2f}",
        "total_charges": f"{total:.2f}",
        "support_calls": support_calls,
        "gender": gender,
        "contract": contract,
        "internet_service": internet,
        "payment_method": payment,
        TARGET: churned,
    }


def generate(rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED) -> list[dict[str, str | int]]:
    """Return `rows` customers drawn from `seed`; the same arguments always give the same rows."""
    if rows < 1:
        raise ValueError(f"rows must be at least 1, got {rows}")
    rng = random.Random(seed)
    return [_customer(rng, index) for index in range(1, rows + 1)]


def write_csv(path: Path = DEFAULT_OUTPUT, rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED) -> Path:
    """Write the sample to `path` (through a temporary file, so a crash leaves no half-written CSV)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(generate(rows, seed))
    partial.replace(path)
    return path


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    path = write_csv(args.output, args.rows, args.seed)
    print(f"wrote {args.rows} customers to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
