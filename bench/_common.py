"""What the benchmark scripts share: waiting for a quiet machine, and the timing table they print.

The scripts run as `uv run python bench/<script>.py`, so this folder is on `sys.path` and they import it
as `_common`.
"""

from __future__ import annotations

import statistics
import sys
import time


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
