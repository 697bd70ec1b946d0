"""What the benchmark scripts share: waiting for a quiet machine, the timing table they print, and writing
their marked section of docs/benchmarks.md.

The scripts run as `uv run python bench/<script>.py`, so this folder is on `sys.path` and they import it
as `_common`.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path


def idle_share(seconds: float) -> float:
    """Share of the machine's CPU time spent idle over the next `seconds` (Linux: /proc/stat)."""

    def times() -> list[int]:
        with open("/proc/stat", encoding="ascii") as stat:
            return [int(field) for field in stat.readline().split()[1:]]

    before = times()
    time.sleep(seconds)
    spent = [after - earlier for after, earlier in zip(times(), before, strict=True)]
    return (spent[3] + spent[4]) / max(sum(spent), 1)  # idle + iowait


def wait_for_quiet(limit: float, share: float = 0.9) -> float:
    """Wait up to `limit` seconds for 5 s in which the CPUs are at least `share` idle; the last share seen."""
    deadline = time.monotonic() + limit
    while (idle := idle_share(5)) < share and time.monotonic() < deadline:
        print(f"waiting for a quiet machine: {idle:.0%} idle", file=sys.stderr)
    if idle < share:
        print(f"warning: only {idle:.0%} idle: other work will show in the figures", file=sys.stderr)
    return idle


def print_timings(rows: list[tuple[str, list[float], str]]) -> None:
    """A markdown table of (what, samples in seconds, target): N, median, min and max."""
    print("| what | N | median | min | max | target |\n|---|---|---|---|---|---|")
    for what, samples, target in rows:
        print(
            f"| {what} | {len(samples)} | {statistics.median(samples):.3f} s | {min(samples):.3f} s "
            f"| {max(samples):.3f} s | {target} |"
        )


def write_section(docs: Path, name: str, heading: str, section: str) -> None:
    """Replace the section between `<!-- name:start -->` and `<!-- name:end -->` of `docs`, or append it
    under `heading`; the rest of the file is kept as is (read just before writing: others edit it)."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = docs.read_text(encoding="utf-8")
    before, found_start, rest = text.partition(start)
    _, found_end, after = rest.partition(end)
    if found_start and found_end:
        docs.write_text(f"{before}{start}\n{section}\n{end}{after}", encoding="utf-8")
    else:
        docs.write_text(f"{text.rstrip()}\n\n{heading}\n\n{start}\n{section}\n{end}\n", encoding="utf-8")
