"""Read a user's table once, streaming, and summarise each column: what inference needs, in bounded memory.

CSV and Parquet are read in blocks with pyarrow (its CSV reader parses in C, several threads). The first
block decides each column's kind (a number, a flag, text, something else); the rest of the file is read with
those kinds, numbers as floats, so a column of whole numbers that later holds `3.5` is still a number. Per
column only counts, bounds and at most `MAX_DISTINCT + 1` distinct values (with their counts) are kept, and
the id column's values, to check that none repeats. Every problem the file can have is a ScaffoldError naming
the file: exit 2, and nothing has been written yet.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ScaffoldError

MAX_DISTINCT = 50  # more distinct text values than this: not a category
TYPE_BLOCK_BYTES = 16 << 20  # CSV bytes whose values decide each column's kind
BLOCK_BYTES = 1 << 20  # CSV bytes per block of the pass: the reader holds dozens ahead (16 MB blocks: 0.8 GB)


@dataclass
class ColumnProfile:
    """One column over the whole file."""

    name: str
    kind: str  # "number", "boolean", "text" or "other" (dates, nested values: not features)
    rows: int = 0
    nulls: int = 0
    minimum: float | None = None
    maximum: float | None = None
    integral: bool = True  # every number is a whole number
    counts: Counter[Any] = field(default_factory=Counter)  # distinct values and their counts, while few
    many: bool = False  # more than MAX_DISTINCT distinct values

    @property
    def present(self) -> int:
        return self.rows - self.nulls

    @property
    def distinct(self) -> list[Any]:
        return sorted(self.counts, key=lambda value: (str(type(value)), value))


@dataclass
class TableProfile:
    path: Path
    format: str  # "csv" or "parquet"
    rows: int
    columns: dict[str, ColumnProfile]
    duplicated_ids: int = 0  # in the column `profile` was asked to check


def profile(path: Path, *, unique: str | None = None) -> TableProfile:
    """Summarise the table at `path`; `unique` names a column whose values must not repeat (the id)."""
    import pyarrow as pa

    table_format = file_format(path)
    try:
        batches = parquet_batches(path) if table_format == "parquet" else csv_batches(path)
        columns: dict[str, ColumnProfile] = {}
        ids: list[Any] = []
        rows = 0
        for batch in batches:
            if not columns:
                columns = {
                    name: ColumnProfile(name, kind_of(batch.schema.field(name).type))
                    for name in batch.schema.names
                }
            rows += batch.num_rows
            for name, profile_ in columns.items():
                summarise(profile_, batch.column(name))
            if unique is not None and unique in columns:
                ids.append(hashes(batch.column(unique)))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as error:
        raise ScaffoldError(
            f"cannot be read as {table_format.upper()}: {first_line(error)}", file=path
        ) from None
    if not columns and table_format == "parquet":
        raise ScaffoldError("has no columns", file=path)
    if rows == 0:  # a CSV header without rows gives no block at all
        raise ScaffoldError("has a header but no rows", file=path)
    duplicated = 0
    if ids:
        suspects = repeated(pa.chunked_array(ids, pa.int64()))
        if len(suspects):  # equal hashes: compare those ids themselves, in a second pass
            batches = parquet_batches(path) if table_format == "parquet" else csv_batches(path)
            duplicated = exact_repeats(batches, unique, suspects)
    return TableProfile(path, table_format, rows, columns, duplicated)


# Whether an id repeats, in bounded memory: keeping 15 million string ids and hashing the distinct ones took
# 1.3 GB; their 64-bit hashes take 8 bytes each. Equal hashes are checked on the ids themselves, so a hash
# collision (about 1 in 100,000 tables of 15 million ids) costs a second pass, never a wrong answer.
def hashes(values: Any) -> Any:
    """The 64-bit hash of each present value (Python's, stable within this process)."""
    import pyarrow as pa

    return pa.array([hash(value) for value in values.drop_null().to_pylist()], pa.int64())


def repeated(values: Any) -> Any:
    """The values that occur more than once, each once."""
    import pyarrow.compute as pc

    ordered = values.take(pc.sort_indices(values))
    if len(ordered) < 2:
        return ordered.slice(0, 0)
    return pc.unique(ordered.slice(1).filter(pc.equal(ordered.slice(1), ordered.slice(0, len(ordered) - 1))))


def exact_repeats(batches: Any, unique: str | None, suspects: Any) -> int:
    """How many present ids repeat an earlier one, comparing only the ids whose hash is among `suspects`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    candidates = []
    for batch in batches:
        values = batch.column(unique).drop_null()
        candidates.append(values.filter(pc.is_in(hashes(values), value_set=suspects)))
    values = pa.chunked_array(candidates, candidates[0].type)
    return len(values) - int(pc.count_distinct(values).as_py())


def file_format(path: Path) -> str:
    if not path.exists():
        raise ScaffoldError("no such file", file=path)
    if not path.is_file():
        raise ScaffoldError("is not a file", file=path)
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".csv", ".txt", ".tsv"):
        return "csv"
    raise ScaffoldError("is not a table scaffold can read", file=path, hint="give a .csv or .parquet file")


def csv_header(path: Path) -> list[str]:
    """The header row, checked for what pyarrow would accept silently: not UTF-8, empty, duplicate names."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle), None)
            handle.read(1 << 20)  # the rest of the first megabyte must decode too
    except UnicodeDecodeError as error:
        raise ScaffoldError(f"is not UTF-8 text (byte {error.start} of a line)", file=path) from None
    except csv.Error as error:
        raise ScaffoldError(f"is not CSV: {error}", file=path) from None
    if not header or not any(name.strip() for name in header):
        raise ScaffoldError("is empty: no header row", file=path)
    check_names(path, header)
    return header


def check_names(path: Path, names: list[str]) -> None:
    blank = [index + 1 for index, name in enumerate(names) if not name.strip()]
    if blank:
        raise ScaffoldError(f"column {blank[0]} has no name", file=path)
    repeated = sorted(name for name, count in Counter(names).items() if count > 1)
    if repeated:
        raise ScaffoldError(f"has duplicate column names: {', '.join(map(repr, repeated))}", file=path)


def csv_batches(path: Path) -> Any:
    """Record batches of the CSV file, with each column's type fixed by the first block."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    csv_header(path)
    types = {}
    for column in first_block_schema(path):
        kind = kind_of(column.type)
        types[column.name] = {"number": pa.float64(), "boolean": pa.bool_(), "other": column.type}.get(
            kind, pa.string()
        )
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=BLOCK_BYTES),
        convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True),
    )
    yield from reader


def first_block_schema(path: Path) -> Any:
    """The column types pyarrow infers from the file's first `TYPE_BLOCK_BYTES`, read into one buffer: a
    reader of the file itself with blocks that size reads dozens ahead (0.55 GB)."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    with path.open("rb") as handle:
        head = handle.read(TYPE_BLOCK_BYTES)
    if len(head) == TYPE_BLOCK_BYTES and b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]  # whole lines only
    options = pacsv.ReadOptions(block_size=len(head) + 1, use_threads=False)
    try:
        return pacsv.open_csv(pa.BufferReader(head), read_options=options).schema
    except pa.ArrowInvalid:  # the cut fell inside a quoted value: let the reader find the block's end
        return pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=BLOCK_BYTES)).schema


def parquet_batches(path: Path) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(path)
    except pa.ArrowInvalid as error:
        raise ScaffoldError(f"is not a Parquet file: {first_line(error)}", file=path) from None
    check_names(path, handle.schema_arrow.names)
    yield from handle.iter_batches(batch_size=200_000)


def kind_of(arrow_type: Any) -> str:
    import pyarrow as pa

    if pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "number"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type) or pa.types.is_null(arrow_type):
        return "text"
    if pa.types.is_dictionary(arrow_type):
        return kind_of(arrow_type.value_type)
    return "other"


def summarise(column: ColumnProfile, values: Any) -> None:
    """Fold one block's values of `column` into its profile."""
    import pyarrow as pa
    import pyarrow.compute as pc

    column.rows += len(values)
    column.nulls += values.null_count
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    if column.kind == "number":
        values = pc.cast(values, pa.float64())
        nan = pc.fill_null(pc.is_nan(values), False)  # NaN is a missing value to pandas, not to Arrow
        column.nulls += pc.sum(nan).as_py() or 0
        values = values.filter(pc.invert(nan))
        bounds = pc.min_max(values).as_py()
        if bounds["min"] is not None:
            column.minimum = bounds["min"] if column.minimum is None else min(column.minimum, bounds["min"])
            column.maximum = bounds["max"] if column.maximum is None else max(column.maximum, bounds["max"])
            column.integral = column.integral and bool(pc.all(pc.equal(values, pc.floor(values))).as_py())
    if column.many or column.kind == "other":
        return
    counts = pc.value_counts(values.drop_null()).to_pylist()
    for entry in counts:
        column.counts[entry["values"]] += entry["counts"]
    if len(column.counts) > MAX_DISTINCT:
        column.many, column.counts = True, Counter()


def first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
