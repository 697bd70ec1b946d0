"""What the benchmark scripts share: waiting for a quiet machine, the timing table they print, and writing
their marked section of docs/benchmarks.md.

The scripts run as `uv run python bench/<script>.py`, so this folder is on `sys.path` and they import it
as `_common`.
"""

from __future__ import annotations

import argparse
import os
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


def _stat_fields(pid: int | str) -> list[str]:
    """The fields of /proc/<pid>/stat after the command's name: state, ppid, ..., utime at index 11."""
    with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
        text = stat.read()
    return text[text.rindex(")") + 2 :].split()


def own_cpu_ticks() -> int:
    """CPU ticks spent by this process, the children it reaped and its live descendants (Linux: /proc)."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = _stat_fields(entry)
        except OSError:  # gone meanwhile
            continue
        parents[int(entry)] = int(fields[1])
        ticks[int(entry)] = sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    ours, found = {os.getpid()}, True
    while found:
        children = {pid for pid, parent in parents.items() if parent in ours} - ours
        ours |= children
        found = bool(children)
    return sum(ticks.get(pid, 0) for pid in ours)


def cpu_ticks() -> tuple[int, int]:
    """(busy, all) CPU ticks of the machine since boot (Linux: /proc/stat)."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(field) for field in stat.readline().split()[1:]]
    return sum(fields) - fields[3] - fields[4], sum(fields)


class OtherWork:
    """Share of the machine's CPU time that processes outside this benchmark (and its servers) took between
    `start()` and `share()`: on a shared machine, what says whether a run's figures are its own."""

    def start(self) -> None:
        self._busy, self._all = cpu_ticks()
        self._ours = own_cpu_ticks()

    def share(self) -> float:
        busy, all_ = cpu_ticks()
        ours = own_cpu_ticks()
        other = (busy - self._busy) - (ours - self._ours)
        return max(other, 0) / max(all_ - self._all, 1)


def service_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every serving benchmark shares: the project, how gunicorn serves its app, the payloads,
    the waits."""
    parser.add_argument("project", type=Path, help="a generated project with a registered @champion")
    parser.add_argument(
        "--app", default="customer_churn.serve.main:app", help="the generated service's app, for gunicorn"
    )
    parser.add_argument(
        "--gunicorn-config",
        default="python:customer_churn.serve.gunicorn_conf",
        help="the generated service's gunicorn settings, as the image passes them",
    )
    parser.add_argument("--workers", type=int, default=2, help="worker processes of each server (default 2)")
    parser.add_argument("--payloads", type=int, default=100, help="distinct bodies, from the test set")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=600,
        help="seconds to wait for 5 s with the CPUs 90%% idle before starting (default 600)",
    )
    parser.add_argument("--start-timeout", type=float, default=180, help="seconds a server has to be ready")
