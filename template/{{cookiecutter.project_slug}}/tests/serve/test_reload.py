"""No request is lost when gunicorn's workers come and go under load, the image's way (gunicorn_conf.py and
worker.py): a reload (SIGHUP to the master), workers recycled after `max_requests`, and a stop (SIGTERM).

Sixteen clients post over keep-alive connections, as a load balancer's do, and count every request that got
no answer or no 200: an exception (reset, closed without an answer, timed out) is a lost request.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from {{ cookiecutter.package_name }}.serve import gunicorn_conf

CLIENTS = 16
HEADERS = {"content-type": "application/json"}
Gunicorn = Callable[..., tuple[list[str], dict[str, str]]]
Launch = Callable[..., AbstractContextManager[str]]


class Clients:
    """`CLIENTS` threads, each posting the same record on its own keep-alive connection until stopped."""

    def __init__(self, url: str, record: dict[str, Any]) -> None:
        self.address = urlsplit(url)
        self.body = json.dumps(record)
        self.answered = 0
        self.lost: list[str] = []
        self.lock, self.stopping = threading.Lock(), threading.Event()
        self.threads = [threading.Thread(target=self.post_until_stopped) for _ in range(CLIENTS)]

    def post_until_stopped(self) -> None:
        # Generous: a request may wait for a worker's start (seconds; more on a loaded machine), not be lost.
        connection = http.client.HTTPConnection(self.address.hostname, self.address.port, timeout=120)
        while not self.stopping.is_set():
            try:  # after an answer with `Connection: close`, http.client connects again
                connection.request("POST", "/predict", self.body, HEADERS)
                answer = connection.getresponse()
                answer.read()
                outcome = None if answer.status == 200 else f"status {answer.status}"
            except (OSError, http.client.HTTPException) as error:
                outcome = repr(error)
                connection.close()
            with self.lock:
                self.answered += outcome is None
                self.lost += [outcome] if outcome else []
        connection.close()

    def __enter__(self) -> Clients:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join()


@contextmanager
def gunicorn_serving(
    gunicorn: Gunicorn, launch: Launch, tmp_path: Path, *options: str
) -> Iterator[tuple[str, int, Path]]:
    """gunicorn ready on a free port: its URL, its master's pid, and its log."""
    pid_file, log = tmp_path / "gunicorn.pid", tmp_path / "gunicorn.log"
    command, environment = gunicorn("--pid", str(pid_file), "--error-logfile", str(log), *options)
    with launch(command, environment) as url:
        yield url, int(pid_file.read_text(encoding="utf-8")), log


def booted(log: Path) -> int:
    return log.read_text(encoding="utf-8").count("Booting worker")


def accepting(log: Path) -> int:
    """How many workers have started to accept, so far."""
    return [what for _, what in worker_events(log)].count("Application startup complete")


def worker_events(log: Path) -> list[tuple[int, str]]:
    """(pid, what) of each worker's start and end, in the log's order."""
    pattern = (
        r"\[(\d+)\] \[INFO\] (Booting worker|Application startup complete|Shutting down)( with pid|\.|$)"
    )
    lines = re.findall(pattern, log.read_text(encoding="utf-8"), re.M)
    return [(int(pid), what) for pid, what, _ in lines]


def fewest_accepting_once_up(events: list[tuple[int, str]]) -> int:
    """The fewest workers accepting at any moment, from when the first two accept on."""
    now, fewest = 0, None
    for _, what in events:
        now += {"Application startup complete": 1, "Shutting down": -1}.get(what, 0)
        if fewest is not None or now >= 2:
            fewest = now if fewest is None else min(fewest, now)
    assert fewest is not None, "the workers never both accepted"
    return fewest


def wait_for(condition: Callable[[], bool], within: float = 60) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "the condition was not met in time"
        time.sleep(0.1)


def test_a_reload_under_load_loses_no_request(
    gunicorn: Gunicorn, launch: Launch, tmp_path: Path, record: dict
) -> None:
    with gunicorn_serving(gunicorn, launch, tmp_path) as (url, master, log), Clients(url, record) as clients:
        wait_for(lambda: clients.answered >= 50)
        os.kill(master, signal.SIGHUP)
        wait_for(lambda: accepting(log) >= 4, within=120)  # two new workers accept, the old ones have gone
        answered_before = clients.answered
        wait_for(lambda: clients.answered >= answered_before + 200)  # served by the new workers
    assert clients.lost == []
    events = worker_events(log)
    old, new = (
        [pid for pid, what in events if what == "Booting worker"][part] for part in (slice(2), slice(2, 4))
    )
    first_new_accepting = min(events.index((pid, "Application startup complete")) for pid in new)
    # An old worker serves its slot until a new one accepts: the clients never wait for a boot.
    for pid in old:
        assert events.index((pid, "Shutting down")) > first_new_accepting


def test_workers_recycled_after_max_requests_lose_no_request(
    gunicorn: Gunicorn, launch: Launch, tmp_path: Path, record: dict
) -> None:
    options = ("--max-requests", "60", "--max-requests-jitter", "10")
    with (
        gunicorn_serving(gunicorn, launch, tmp_path, *options) as (url, _, log),
        Clients(url, record) as clients,
    ):
        wait_for(lambda: booted(log) >= 4, within=180)  # two workers recycled
        wait_for(lambda: accepting(log) >= 4, within=180)  # and their successors serving
        answered_before = clients.answered
        wait_for(lambda: clients.answered >= answered_before + 100, within=180)
        events = worker_events(log)
    assert clients.lost == []
    # A recycled worker serves its slot until its successor accepts: no slot ever waits for a boot.
    assert fewest_accepting_once_up(events) >= 2, events


def test_a_stopping_server_answers_what_its_clients_already_sent(
    gunicorn: Gunicorn, launch: Launch, tmp_path: Path, record: dict
) -> None:
    """After SIGTERM, a request sent on a connection the server holds is answered, with `Connection: close`
    (it was closed unanswered with uvicorn's own worker), and the server stops within its graceful timeout."""
    with gunicorn_serving(gunicorn, launch, tmp_path) as (url, master, log):
        address = urlsplit(url)
        connections = [
            http.client.HTTPConnection(address.hostname, address.port, timeout=10) for _ in range(8)
        ]
        for connection in connections:
            connection.request("POST", "/predict", json.dumps(record), HEADERS)
            assert connection.getresponse().read()
        os.kill(master, signal.SIGTERM)
        wait_for(lambda: "Shutting down" in log.read_text(encoding="utf-8"), within=10)
        time.sleep(0.3)  # the workers have begun to shut down
        for connection in connections:
            connection.request("POST", "/predict", json.dumps(record), HEADERS)
            answer = connection.getresponse()
            assert (answer.status, answer.getheader("connection")) == (200, "close")
            answer.read()
        stopped = "Shutting down: Master"  # gunicorn's last line, once its workers are gone
        wait_for(
            lambda: stopped in log.read_text(encoding="utf-8"), within=gunicorn_conf.graceful_timeout + 5
        )
