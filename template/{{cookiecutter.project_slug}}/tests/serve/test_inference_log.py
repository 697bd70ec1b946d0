"""The inference log: buffered on the event loop, written by its own thread, nothing lost on close."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from {{ cookiecutter.package_name }}.serve.inference_log import InferenceLog


def logged(path: Path) -> list[int]:
    return [json.loads(line)["n"] for line in path.read_text().splitlines()] if path.exists() else []


def test_entries_are_written_after_a_tick_and_the_rest_on_close(tmp_path: Path) -> None:
    log = InferenceLog(tmp_path / "logs" / "inference.jsonl", flush_every=0.01)

    async def scenario() -> list[int]:
        log.start()
        log.record([{"n": 1}])
        log.record([{"n": 2}, {"n": 3}])
        for _ in range(500):  # wait (up to 5 s) for the writer thread
            if logged(log.path):
                break
            await asyncio.sleep(0.01)
        written = logged(log.path)
        log.record([{"n": 4}])
        log.close()
        return written

    assert asyncio.run(scenario()) == [1, 2, 3]  # one hand-over: the three entries of the tick together
    assert logged(log.path) == [1, 2, 3, 4]


def test_an_entry_that_cannot_be_written_stops_nothing_after_it(tmp_path: Path) -> None:
    """The writer thread outlives a batch it cannot write (here a value JSON cannot hold): it says so, and the
    batches after it are written, where a dead writer would have silently ended the log."""
    log = InferenceLog(tmp_path / "inference.jsonl", flush_every=0.01)

    async def scenario() -> None:
        log.start()
        log.record([{"n": 1, "unwritable": object()}])
        await asyncio.sleep(0.1)  # handed over, and failed, alone
        log.record([{"n": 2}])
        log.close()

    asyncio.run(scenario())
    assert logged(log.path) == [2]
