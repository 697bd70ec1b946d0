"""The CSV pattern's numbers: a number written in decimals fits its feature's pattern exactly when it is
within the feature's bounds, for whole and fractional, open and closed, positive and negative bounds (those
of any table)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from {{ cookiecutter.package_name }}.serve.csv_body import number

values = st.integers(-400, 400) | st.decimals(-400, 400, places=4, allow_nan=False).map(float)
bounds = st.none() | st.tuples(values, st.booleans())  # (bound, open)


def within(value: float, low: tuple[float, bool] | None, high: tuple[float, bool] | None) -> bool:
    above = low is None or (value > low[0] if low[1] else value >= low[0])
    below = high is None or (value < high[0] if high[1] else value <= high[0])
    return above and below


def schema(low: tuple[float, bool] | None, high: tuple[float, bool] | None) -> dict[str, float]:
    keys = {}
    if low is not None:
        keys["exclusiveMinimum" if low[1] else "minimum"] = float(low[0])
    if high is not None:
        keys["exclusiveMaximum" if high[1] else "maximum"] = float(high[0])
    return keys


@settings(max_examples=300, deadline=None)
@given(low=bounds, high=bounds, value=values, near=st.sampled_from([0, 1e-4, -1e-4]))
def test_a_decimal_fits_the_pattern_exactly_when_it_is_within_the_bounds(
    low: tuple[float, bool] | None, high: tuple[float, bool] | None, value: float, near: float
) -> None:
    pattern = re.compile(number(schema(low, high), whole=False))
    value = round((low[0] if low and near else value) + near, 4)  # near a bound, where mistakes would be
    for written in {repr(float(value)), *([str(int(value))] if float(value).is_integer() else [])}:
        if written not in ("-0.0", "-0"):  # zero is written without a minus
            assert bool(pattern.fullmatch(written)) == within(value, low, high), (written, low, high)


@settings(max_examples=200, deadline=None)
@given(low=bounds, high=bounds, value=st.integers(-400, 400))
def test_an_integer_fits_the_pattern_exactly_when_it_is_within_the_bounds(
    low: tuple[float, bool] | None, high: tuple[float, bool] | None, value: int
) -> None:
    pattern = re.compile(number(schema(low, high), whole=True))
    for written in (str(value), f"{value}.0"):
        if value != 0 or not written.startswith("-"):
            assert bool(pattern.fullmatch(written)) == within(value, low, high), (written, low, high)
