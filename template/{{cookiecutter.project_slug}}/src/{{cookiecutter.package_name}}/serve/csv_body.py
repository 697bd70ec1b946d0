"""The regular expression of a CSV body /invocations takes: the `pattern` of its text/csv schema in the
OpenAPI document, so that a client (or a fuzzer such as schemathesis) reading the document writes only
bodies the service accepts.

The pattern is the CSV `pandas.DataFrame.to_csv(index=False)` writes for the features: a header naming them
in the order of FEATURES, then one line per row, each cell written as its feature's check allows: one of the
allowed values, `true`/`false` (any case) for a boolean, a decimal number within the feature's bounds (an
integer may carry a zero fraction, `3.0`, as pandas writes an integer column holding a missing value), and
an empty cell for a missing value where the feature takes one. Bounds are exact, whole (`ge=0`, `le=120`)
or fractional (`ge=0.0516`, the smallest value of your table): the digits are compared one by one. The
service itself also takes what the pattern leaves out (the columns in another order, numbers with an
exponent, quoted cells): the pattern is what to send, the request model the judge.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

from ..features import FEATURES

ANY_FRACTION, ZERO_FRACTION = r"(\.\d+)?", r"(\.0+)?"
NEEDS_QUOTES = re.compile(r'[",\r\n]')
SPECIAL = set("\\^$.|?*+()[]{}/")  # what an ECMA 262 pattern (JSON Schema's) must escape


def escaped(value: str) -> str:
    return "".join("\\" + char if char in SPECIAL else char for char in value)


def digits(count: int, or_more: bool = False) -> str:
    """`count` digits (or more); written without braces in braces, which the template engine would read."""
    return "\\d" + "{" + str(count) + ("," if or_more else "") + "}" if count or or_more else ""


def digits_between(low: str, high: str) -> list[str]:
    """Patterns of the numerals from `low` to `high`, both of the same length (`low` <= `high`)."""
    if not low:
        return [""]
    if low[0] == high[0]:
        return [low[0] + rest for rest in digits_between(low[1:], high[1:])]
    tail = len(low) - 1
    patterns = [low[0] + rest for rest in digits_between(low[1:], "9" * tail)]
    between = range(int(low[0]) + 1, int(high[0]))
    if between:
        lead = str(between[0]) if len(between) == 1 else f"[{between[0]}-{between[-1]}]"
        patterns.append(lead + digits(tail))
    patterns += [high[0] + rest for rest in digits_between("0" * tail, high[1:])]
    return patterns


def naturals(low: int, high: int | None) -> str | None:
    """The numerals of the whole numbers from `low` (>= 0) to `high` (None: no end), without leading zeros;
    None when there is none."""
    if high is not None and high < low:
        return None
    patterns, width = [], len(str(low))
    last = high if high is not None else 10**width - 1
    start = low
    while start <= last:  # one run of numerals per number of digits
        end = min(last, 10 ** len(str(start)) - 1)
        patterns += digits_between(str(start), str(end))
        start = end + 1
    if high is None:
        patterns.append("[1-9]" + digits(width, or_more=True))
    return "(" + "|".join(patterns) + ")"


def one_of(patterns: list[str]) -> str | None:
    return "(" + "|".join(patterns) + ")" if patterns else None


def digit_range(first: int, last: int) -> str:
    return str(first) if first == last else f"[{first}-{last}]"


# Fractions: the digits after the point, read as a decimal 0.f (an empty f, or only zeros, is 0). A bound's
# digits have no trailing zeros. Each function gives the pattern of the digit strings in its range, or None.


def fractions_from(low: str, low_open: bool) -> str | None:
    """0.f >= 0.low (> when `low_open`)."""
    if not low:
        return r"0*[1-9]\d*" if low_open else r"\d*"
    head, rest = int(low[0]), fractions_from(low[1:], low_open)
    patterns = [digit_range(head + 1, 9) + r"\d*"] if head < 9 else []
    return one_of(patterns + ([f"{head}{rest}"] if rest is not None else []))


def fractions_to(high: str, high_open: bool) -> str | None:
    """0.f <= 0.high (< when `high_open`)."""
    if not high:
        return None if high_open else "0*"
    head, rest = int(high[0]), fractions_to(high[1:], high_open)
    patterns = [""] + ([digit_range(0, head - 1) + r"\d*"] if head > 0 else [])  # "": 0, below any high
    return one_of(patterns + ([f"{head}{rest}"] if rest is not None else []))


def fractions_between(low: str, high: str, low_open: bool, high_open: bool) -> str | None:
    """0.low <= 0.f <= 0.high (< where open), for 0.low < 0.high."""
    first, last = int(low[0]) if low else 0, int(high[0])
    patterns = [""] if not low and not low_open else []
    if first == last:
        rest = fractions_between(low[1:], high[1:], low_open, high_open)
        return one_of(patterns + ([f"{first}{rest}"] if rest is not None else []))
    above, below = fractions_from(low[1:], low_open), fractions_to(high[1:], high_open)
    patterns += [f"{first}{above}"] if above is not None else []
    patterns += [digit_range(first + 1, last - 1) + r"\d*"] if last - first > 1 else []
    patterns += [f"{last}{below}"] if below is not None else []
    return one_of(patterns)


def with_fraction(whole: int, fractions: str | None) -> list[str]:
    """The numbers written `whole`, then a point and one of `fractions` (none written, when 0 is one)."""
    if fractions is None:
        return []
    point = rf"(\.{fractions})?" if re.fullmatch(fractions, "") else rf"\.{fractions}"
    return [f"{whole}{point}"]


def decimal(value: float) -> tuple[int, str]:
    """A bound >= 0 as its whole part and its fraction's digits, as Python writes it (0.05: 0 and "05")."""
    whole, _, fraction = format(Decimal(repr(float(value))), "f").partition(".")
    return int(whole), fraction.rstrip("0")


def magnitudes(low: float, low_open: bool, high: float | None, high_open: bool, whole: bool) -> list[str]:
    """Patterns of the numbers m >= 0 with low < m (<= when not `low_open`) and m < high (<=), written in
    decimals; `whole`: integers only (a zero fraction allowed)."""
    if whole:
        first = math.floor(low) + 1 if low_open or not float(low).is_integer() else int(low)
        last = None if high is None else math.ceil(high) - 1 if high_open else math.floor(high)
        return [numerals + ZERO_FRACTION] if (numerals := naturals(first, last)) else []
    if high is not None and low > high:
        return []
    low_whole, low_fraction = decimal(low)
    if high is None:
        above = f"{naturals(low_whole + 1, None)}{ANY_FRACTION}"
        return [*with_fraction(low_whole, fractions_from(low_fraction, low_open)), above]
    high_whole, high_fraction = decimal(high)
    if (low_whole, low_fraction) == (high_whole, high_fraction):  # one value, if both bounds take it
        return [] if low_open or high_open else with_fraction(low_whole, f"{low_fraction}0*")
    if low_whole == high_whole:
        between = fractions_between(low_fraction, high_fraction, low_open, high_open)
        return with_fraction(low_whole, between)
    middle = naturals(low_whole + 1, high_whole - 1)
    return (
        with_fraction(low_whole, fractions_from(low_fraction, low_open))
        + ([middle + ANY_FRACTION] if middle else [])
        + with_fraction(high_whole, fractions_to(high_fraction, high_open))
    )


def bound(schema: dict[str, Any], closed: str, open_: str) -> tuple[float | None, bool]:
    """A bound of a JSON Schema number (None: none), and whether it is open (exclusive)."""
    if closed in schema:
        return schema[closed], False
    return (schema[open_], True) if open_ in schema else (None, False)


def number(schema: dict[str, Any], whole: bool) -> str:
    """A bounded number's cell: its values >= 0, and those below zero written with a minus."""
    low, low_open = bound(schema, "minimum", "exclusiveMinimum")
    high, high_open = bound(schema, "maximum", "exclusiveMaximum")
    patterns = []
    if high is None or high > 0 or (high == 0 and not high_open):
        positive_low = low is not None and low >= 0
        patterns += magnitudes(low if positive_low else 0, low_open and positive_low, high, high_open, whole)
    if low is None or low < 0:  # -m for m > 0 (zero is written without a minus)
        negative_high = high is not None and high < 0
        nearest, nearest_open = (-high, high_open) if negative_high else (0, True)
        farthest, farthest_open = (None, False) if low is None else (-low, low_open)
        negative = magnitudes(nearest, nearest_open, farthest, farthest_open, whole)
        patterns += ["-" + pattern for pattern in negative]
    return "(" + "|".join(patterns) + ")" if patterns else "(?!)"  # (?!): no value fits the bounds


def text(value: str) -> str:
    """A string cell as pandas writes it: quoted when it holds a comma, a quote or a line break."""
    return escaped('"' + value.replace('"', '""') + '"' if NEEDS_QUOTES.search(value) else value)


def cell(schema: dict[str, Any]) -> str:
    """The pattern of one cell, from the feature's JSON Schema in the request model."""
    branches = schema.get("anyOf", [schema])
    nullable = any(branch.get("type") == "null" for branch in branches)
    [value] = [branch for branch in branches if branch.get("type") != "null"]
    if "enum" in value:
        written = [text(v) if isinstance(v, str) else escaped(str(v)) for v in value["enum"]]
        pattern = "(" + "|".join(written) + ")"
    elif value.get("type") == "boolean":
        pattern = "([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])"
    elif value.get("type") in ("integer", "number"):
        pattern = number(value, whole=value["type"] == "integer")
    else:
        pattern = '[^",\r\n]+'  # free text: unquoted, and never empty (an empty cell is a missing value)
    return f"({pattern})?" if nullable else pattern


def csv_pattern(properties: dict[str, dict[str, Any]]) -> str:
    """The whole body: the header, then at least one row; a final line break is optional."""
    header = ",".join(text(name) for name in FEATURES)
    row = ",".join(cell(properties[name]) for name in FEATURES)
    return rf"^{header}(\r?\n{row})+(\r?\n)?$"
