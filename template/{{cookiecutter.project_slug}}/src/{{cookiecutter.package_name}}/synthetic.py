"""Synthetic rows that follow the project's raw-data schema, for tests (and CI) that must not need real data.

Each column is drawn from what the schema says of it: a category from its allowed values, a number within its
bounds (a whole number for an integer column), missing values (5%) where it is nullable, unique ids matching
its pattern. The target is not random: it is a fixed function of the features, a weighted sum of
standardised numbers and of per-category effects (the weights come from the column names, so every frame of
a project shares one concept) plus a little noise, cut into the classes by quantiles or scaled into the
target's bounds. So a model can learn it, and tests can train, gate, serve and monitor models for any table
the feature spec and schema describe. Columns passed as `ignore` (the protected attribute) do not affect the
target, and their values are spread evenly over each class (or each tenth of a regression target): so the
groups have the same outcomes, a model of synthetic data is fair by construction, and a test can make it
unfair on purpose.

`breaking_values(name)` gives, for one column, a value that breaks each of its checks: what the tests of the
schemas and of the API send to prove that each check is enforced.

Why not pandera's `DataFrameModel.example`: it draws through hypothesis, which gave up ("Unsatisfiable") on
a frame of 200 rows of this project's schema.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandera.api.pandas.components import Column

from .features import CLASSES, FEATURES, ID_COLUMN, TARGET, TASK
from .schemas import SCHEMAS

MISSING_SHARE = 0.05
NOISE = 0.3  # of the target's score, against a spread of about 1 per feature


@dataclass(frozen=True)
class Breaking:
    """A value for one column that breaks one of its checks."""

    value: Any
    check: str  # "isin", "greater_than_or_equal_to" (and the other bounds), "dtype" or "nullable"


def frame(rows: int = 1000, seed: int = 0, *, ignore: Iterable[str] = ()) -> pd.DataFrame:
    """`rows` raw rows drawn from `seed`, valid against the raw-data schema."""
    rng = np.random.default_rng(seed)
    columns = SCHEMAS["raw"].to_schema().columns
    data = {name: column_values(columns[name], rows, rng) for name in columns if name != TARGET}
    data[TARGET] = target(pd.DataFrame(data), columns[TARGET], rng, ignore=set(ignore))
    for name in ignore:
        data[name] = evenly_spread(data[name], data[TARGET])
    ordered = pd.DataFrame(data)[list(columns)]
    return SCHEMAS["raw"].validate(ordered)


def checks(column: Column) -> dict[str, Any]:
    """The statistics of a column's checks, by check name (`isin`, `str_matches`, bounds)."""
    return {check.name: check.statistics for check in column.checks}


def bounds(column: Column) -> tuple[float, float]:
    low, high = -np.inf, np.inf
    for statistics in checks(column).values():
        if "min_value" in statistics:
            low = max(low, float(statistics["min_value"]))
        if "max_value" in statistics:
            high = min(high, float(statistics["max_value"]))
    return low, high


def column_values(column: Column, rows: int, rng: np.random.Generator) -> pd.Series:
    kind, found = str(column.dtype), checks(column)
    if column.unique or column.name == ID_COLUMN:
        return pd.Series(unique_values(column, rows))
    if "isin" in found:
        values: Any = rng.choice(np.asarray(list(found["isin"]["allowed_values"]), dtype=object), size=rows)
    elif kind.startswith("bool"):
        values = rng.random(rows) < 0.5
    elif kind.startswith(("int", "float")):
        values = numbers(*bounds(column), rows, rng)
        if kind.startswith("int"):
            values = np.floor(values).astype(int)
    else:
        values = np.asarray([f"text-{index % 20}" for index in range(rows)], dtype=object)
    series = pd.Series(values)
    if column.nullable:
        series = series.astype(float if kind.startswith(("int", "float")) else object)
        series[rng.random(rows) < MISSING_SHARE] = np.nan
    return series


def numbers(low: float, high: float, rows: int, rng: np.random.Generator) -> np.ndarray:
    """Values within [low, high]: uniform when both are finite, else spread out from the finite one."""
    if np.isfinite(low) and np.isfinite(high):
        return rng.uniform(low, np.nextafter(high, low), rows)
    if np.isfinite(low):
        return low + rng.gamma(2.0, 10.0, rows)
    if np.isfinite(high):
        return high - rng.gamma(2.0, 10.0, rows)
    return rng.normal(0.0, 10.0, rows)


def unique_values(column: Column, rows: int) -> list[Any]:
    """Distinct ids: `0, 1, ...` for numbers; strings matching the column's pattern, when it has one."""
    if str(column.dtype).startswith("int"):
        return list(range(1, rows + 1))
    pattern = checks(column).get("str_matches", {}).get("pattern")
    values = [f"id-{index:06d}" for index in range(1, rows + 1)]
    if pattern is not None:
        values = [matching(str(pattern), index) for index in range(1, rows + 1)]
    if pattern is not None and not all(re.match(str(pattern), value) for value in values[:10]):
        raise ValueError(f"{column.name}: cannot make ids matching {pattern!r}; give the tests a sample")
    return values


def matching(pattern: str, number: int) -> str:
    """A string matching simple `pattern` (literals, classes, repeats), with `number` in its first digits."""
    from re import _parser as parser  # type: ignore[attr-defined]

    placed = False

    def emit(items: Any) -> str:
        nonlocal placed
        text = ""
        for op, value in items:
            name = str(op)
            if name == "LITERAL":
                text += chr(value)
            elif name == "IN":
                text += _first_of(value)
            elif name in ("MAX_REPEAT", "MIN_REPEAT"):
                low, high, item = value
                if not placed and _first_of(item[0][1]) == "0" and str(item[0][0]) == "IN":
                    placed = True
                    digits = str(number).zfill(max(low, 6))
                    text += digits if high == parser.MAXREPEAT or len(digits) <= high else digits[-high:]
                else:
                    text += emit(item) * max(low, 1)
            elif name == "SUBPATTERN":
                text += emit(value[-1])
            elif name == "ANY":
                text += "x"
        return text

    return emit(parser.parse(pattern))


def _first_of(members: Any) -> str:
    """The first character a regex class (`[A-Z]`, `\\d`, ...) accepts."""
    for op, value in members:
        name = str(op)
        if name == "LITERAL":
            return chr(value)
        if name == "RANGE":
            return chr(value[0])
        if name == "CATEGORY":
            return "0" if "DIGIT" in str(value) else "a"
    return "a"


def evenly_spread(values: pd.Series, outcome: pd.Series) -> pd.Series:
    """`values` rearranged so that each of its values is as frequent within every outcome group."""
    groups = outcome if TASK != "regression" else pd.qcut(outcome.rank(method="first"), 10, labels=False)
    present = values.dropna()
    levels = sorted(present.unique().tolist(), key=str)
    if not levels:
        return values
    spread = values.copy()
    for _, rows in present.groupby(groups.loc[present.index]):
        spread.loc[rows.index] = [levels[index % len(levels)] for index in range(len(rows))]
    return spread


def effect(*parts: object) -> float:
    """A fixed weight for a column (or one of its values), the same in every frame of the project."""
    return float(np.random.default_rng(zlib.crc32("/".join(map(str, parts)).encode())).normal())


def target(
    features: pd.DataFrame, column: Column, rng: np.random.Generator, *, ignore: set[str]
) -> pd.Series:
    """The target as a learnable function of the features (see the module's docstring)."""
    score = np.zeros(len(features))
    for name in FEATURES:
        if name in ignore:
            continue
        values = features[name]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            spread = values.std() or 1.0
            score += effect(name) * ((values - values.mean()) / spread).fillna(0.0).to_numpy()
        else:
            score += values.map(
                lambda value, name=name: 0.0 if pd.isna(value) else effect(name, value)
            ).to_numpy(dtype=float)
    score += rng.normal(0.0, NOISE, len(score))
    if TASK == "regression":
        return pd.Series(scaled(score, column))
    cuts = np.quantile(score, [0.7] if TASK == "binary" else np.linspace(0, 1, len(CLASSES) + 1)[1:-1])
    return pd.Series(np.asarray(CLASSES, dtype=object)[np.searchsorted(cuts, score)]).astype(type(CLASSES[0]))


def scaled(score: np.ndarray, column: Column) -> np.ndarray:
    """`score` stretched into the target's bounds (a whole number for an integer target)."""
    low, high = bounds(column)
    unit = (score - score.min()) / (np.ptp(score) or 1.0)
    if np.isfinite(low) and np.isfinite(high):
        values = low + (high - low) * (0.1 + 0.8 * unit)
    elif np.isfinite(low):
        values = low + 1_000.0 * (0.1 + unit)
    elif np.isfinite(high):
        values = high - 1_000.0 * (0.1 + unit)
    else:
        values = 1_000.0 * (unit - 0.5)
    return np.round(values) if str(column.dtype).startswith("int") else values


def breaking_values(name: str) -> list[Breaking]:
    """A value breaking each check of processed column `name`: allowed values, bounds, type, nullability."""
    column = SCHEMAS["processed"].to_schema().columns[name]
    kind, found = str(column.dtype), checks(column)
    numeric = kind.startswith(("int", "float"))
    breaking = []
    if "isin" in found:
        allowed = list(found["isin"]["allowed_values"])
        breaking.append(Breaking(max(allowed) + 1 if numeric else f"not-{allowed[0]}", "isin"))
    for check, statistics in found.items():
        if "min_value" in statistics and check != "in_range":
            breaking.append(Breaking(statistics["min_value"] - 1, check))
        if "max_value" in statistics and check != "in_range":
            breaking.append(Breaking(statistics["max_value"] + 1, check))
    if numeric:
        breaking.append(Breaking("twelve", "dtype"))
    if not column.nullable:
        breaking.append(Breaking(None, "nullable"))
    return breaking
