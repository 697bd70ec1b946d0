"""Worker slots: one listening socket per gunicorn worker, made and kept by the master, and what a retiring
worker needs to know to hand its slot over without a pause.

The kernel spreads new connections over the slots' sockets (SO_REUSEPORT). A socket outlives every worker
that serves it, so the connections queued on it when a worker retires wait for the next one instead of being
reset. On a reload (SIGHUP), gunicorn starts the new workers and at once tells the old ones to go; a new
worker needs seconds to import the app and load its model, and meanwhile nobody would accept on its slot.
So an old worker told to go by a reload keeps serving until its slot's successor accepts (worker.py), at
most `HANDOVER_SECONDS`. A worker recycled after `max_requests` does the same, but gunicorn would start its
successor only once it has exited: so it asks the master for one more worker (SIGTTIN, gunicorn's own
signal for that), which takes its slot, and the master counts one worker fewer again when it has gone.
The master and its workers share, in memory inherited on fork, per slot: the age of the newest worker
accepting on it, of the newest one assigned to it, and of the one being recycled; and the age up to which a
reload replaces workers.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter
from typing import Any

from gunicorn import sock

HANDOVER_SECONDS = 60.0  # an old worker leaves then even if its successor is not accepting yet


class ReusePort:
    """gunicorn's settings with SO_REUSEPORT on, for gunicorn's own socket factory."""

    reuse_port = True

    def __init__(self, cfg: Any) -> None:
        self._cfg = cfg

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cfg, name)


class Slots:
    """The master's side (listen, assign, reloading) and the workers' (accepting, replaced, leaving)."""

    def __init__(self, count: int) -> None:
        self.accepting = multiprocessing.RawArray("q", count)  # per slot: the newest accepting worker's age
        self.assigned = multiprocessing.RawArray("q", count)  # the newest worker's age given the slot
        self.recycling = multiprocessing.RawArray("q", count)  # a worker's age past max_requests, or 0
        self.reload_up_to = multiprocessing.RawValue("q", 0)  # workers this old or older are being replaced

    @classmethod
    def listen(cls, server: Any) -> Slots | None:
        """One listening socket per worker. None, leaving them to gunicorn (one socket all workers share),
        when it was given sockets (a re-exec with USR2, systemd), several addresses, or one worker."""
        given = os.environ.get("GUNICORN_FD") or os.environ.get("LISTEN_FDS")
        if server.LISTENERS or given or len(server.cfg.address) != 1 or server.cfg.workers < 2:
            return None
        settings = ReusePort(server.cfg)
        count = server.cfg.workers
        server.LISTENERS = [
            listener for _ in range(count) for listener in sock.create_sockets(settings, server.log)
        ]
        return cls(count)

    def assign(self, server: Any, worker: Any) -> None:
        """The new worker serves a recycled worker's slot that has no successor yet, else the slot the
        fewest live workers serve (during a reload, the retiring ones still count: each new worker takes the
        slot of an old one)."""
        held = Counter(getattr(sibling, "slot", None) for sibling in server.WORKERS.values())

        def priority(slot: int) -> tuple[bool, int, int]:
            return (not self.needs_successor(slot), held[slot], slot)

        worker.slot = min(range(len(server.LISTENERS)), key=priority)
        self.assigned[worker.slot] = max(self.assigned[worker.slot], worker.age)
        worker.slots = self
        worker.sockets = [server.LISTENERS[worker.slot]]

    def needs_successor(self, slot: int) -> bool:
        return 0 < self.recycling[slot] >= self.assigned[slot]

    def exited(self, server: Any, worker: Any) -> None:
        """A recycled worker has gone: the worker it asked for takes its place in the count."""
        slot = getattr(worker, "slot", None)
        if slot is not None and self.recycling[slot] == worker.age:
            self.recycling[slot] = 0
            if server.num_workers > len(server.LISTENERS):
                server.num_workers -= 1

    def reloading(self, server: Any) -> None:
        """Before a reload starts its workers: every worker there is now is to hand its slot over."""
        self.reload_up_to.value = server.worker_age

    def now_accepting(self, slot: int, age: int) -> None:
        self.accepting[slot] = max(self.accepting[slot], age)

    def replaced_by_reload(self, age: int) -> bool:
        return age <= self.reload_up_to.value

    def successor_accepting(self, slot: int, age: int) -> bool:
        return self.accepting[slot] > age

    def recycle(self, slot: int, age: int) -> None:
        self.recycling[slot] = age
