"""The regular expression of a CSV body /invocations takes: the `pattern` of its text/csv schema in the
OpenAPI document, so that a client (or a fuzzer such as schemathesis) reading the document writes only
bodies the service accepts.

The pattern is the CSV `pandas.DataFrame.to_csv(index=False)` writes for the features: a header naming them
in the order of FEATURES, then one line per row, each cell written as its feature's check allows: one of the
allowed values, `true`/`false` (any case) for a boolean, a decimal number within the feature's bounds (an
integer may carry a zero fraction, `3.0`, as pandas writes an integer column holding a missing value), and
an empty cell for a missing value where the feature takes one. Bounds are exact when they are whole numbers
(the usual case: `ge=0`, `le=120`); a fractional bound is rounded inwards, so the pattern never admits a
value the service refuses. The service itself also takes what the pattern leaves out (the columns in another
order, numbers with an exponent, quoted cells): the pattern is what to send, the request model the judge.
"""

from __future__ import annotations

import math
import re
from typing import Any

from ..features import FEATURES

ANY_FRACTION, ZERO_FRACTION, NONZERO_FRACTION = r"(\.\d+)?", r"(\.0+)?", r"\.\d*[1-9]\d*"
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


def magnitudes(low: float, low_open: bool, high: float | None, high_open: bool, whole: bool) -> list[str]:
    """Patterns of the numbers m >= 0 with low < m (<= when not `low_open`) and m < high (<=), written in
    decimals; `whole`: integers only (a zero fraction allowed)."""
    fraction = ZERO_FRACTION if whole else ANY_FRACTION
    first = math.floor(low) + 1 if low_open or not float(low).is_integer() else int(low)
    if high is None:
        last = None
    elif whole:
        last = math.ceil(high) - 1 if high_open else math.floor(high)
    else:  # any fraction: the whole part must stay below the upper bound
        last = math.floor(high) - 1
    patterns = [numerals + fraction] if (numerals := naturals(first, last)) else []
    if whole:
        return patterns
    if low_open and float(low).is_integer() and (high is None or low + 1 <= high):
        patterns.append(f"{int(low)}{NONZERO_FRACTION}")  # just above a whole lower bound
    top = None if high is None else math.floor(high)
    if top is not None and top >= first and (top < high or not high_open):
        patterns.append(f"{top}{ZERO_FRACTION}")  # a whole upper bound itself (or the whole below one)
    return patterns


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
