"""Current data to try the monitors on: a fresh sample of the training distribution, or a drifted one.

The rows come from the project's sample generator with a seed of their own; `--drifted` then shifts three
features deterministically (charges up by a third, tenure down to a third, half the one- and two-year
contracts turned month-to-month), the kind of change a price rise and a wave of new customers bring.
`make drift-demo` writes one and runs the drift check on it:

    python -m {{ cookiecutter.package_name }}.monitor.samples --drifted --output drifted.csv
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from pathlib import Path

from ..sample_data import COLUMNS, generate

DEFAULT_OUTPUT = Path("data/monitoring/current.csv")
DEFAULT_ROWS = 1000
DEFAULT_SEED = 7  # not the training sample's seed: new customers from the same distribution


def drifted(customer: dict[str, str | int], index: int) -> dict[str, str | int]:
    """`customer` after the shift: higher charges, shorter tenure, more month-to-month contracts."""
    tenure = int(customer["tenure_months"]) // 3
    monthly = float(customer["monthly_charges"]) * 4 / 3
    contract = customer["contract"]
    if contract != "month-to-month" and index % 2 == 0:
        contract = "month-to-month"
    return {
        **customer,
        "tenure_months": tenure,
        "monthly_charges": f"{monthly:.2f}",
        "total_charges": f"{monthly * tenure:.2f}",
        "contract": contract,
    }


def write_sample(
    path: Path = DEFAULT_OUTPUT, rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED, *, drift: bool = False
) -> Path:
    """Write `rows` customers drawn from `seed` to `path` as CSV, shifted when `drift` is true."""
    customers = generate(rows, seed)
    if drift:
        customers = [drifted(customer, index) for index, customer in enumerate(customers)]
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(customers)
    partial.replace(path)
    return path


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drifted", action="store_true", help="shift charges, tenure and contracts")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    path = write_sample(args.output, args.rows, args.seed, drift=args.drifted)
    kind = "drifted" if args.drifted else "fresh (undrifted)"
    print(f"wrote {args.rows} {kind} customers to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
