"""The gunicorn worker of the serving image: uvicorn's, except that a retiring worker leaves no gap and
answers the requests its clients have already sent.

A reload (SIGHUP to the master), a worker recycled after `max_requests` and a stop (SIGTERM) retire workers
while clients keep sending on their keep-alive connections:
- On a reload, gunicorn tells the old workers to go as soon as it has started the new ones, which need
  seconds to import the app and load the model: a worker told to go by a reload keeps serving its slot until
  its successor accepts on it (slots.py), then leaves. A stop is not a reload: the workers leave at once.
- Past `max_requests`, uvicorn's server would leave at once, and gunicorn would start its successor only
  then: its slot would wait seconds for a boot. Instead the worker asks the master for its successor and
  keeps serving until that one accepts, as on a reload.
- uvicorn's own worker closes its idle connections as it leaves, so a request a client had just sent on one
  was never answered. `DrainingHttp` keeps them open: the next request on each is answered, with
  `Connection: close` (the client reconnects, to a worker that stays), and a connection that stays idle
  closes after the keep-alive timeout, as it would have anyway.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from types import FrameType
from typing import Any, ClassVar

from gunicorn.arbiter import Arbiter
from uvicorn import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import Server
from uvicorn_worker import UvicornWorker

from .slots import HANDOVER_SECONDS, Slots

logger = logging.getLogger("uvicorn.error")
ASK_AGAIN_SECONDS = 2.0  # two asks at once are one signal to the master: ask again until a successor is made


class DrainingHttp(HttpToolsProtocol):
    """uvicorn's HTTP protocol (httptools), answering the next request when shutting down, not dropping it."""

    draining = False

    def shutdown(self) -> None:
        self.draining = True
        if self.cycle is None or self.cycle.response_complete:  # idle: closed after the keep-alive timeout
            self._unset_keepalive_if_required()
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self.timeout_keep_alive_handler
            )
        else:
            self.cycle.keep_alive = False

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        if self.draining and self.cycle is not None:
            self.cycle.keep_alive = False  # answered with `Connection: close`


class HandingOverServer(Server):
    """uvicorn's server, which says when it accepts on its slot, and on a reload's SIGTERM, or past
    `max_requests`, leaves only once its successor accepts there."""

    limit_max_requests = None  # uvicorn's own limit would leave at once: on_tick hands the slot over

    def __init__(self, config: Config, slots: Slots, slot: int, age: int) -> None:
        super().__init__(config)
        self.slots, self.slot, self.age = slots, slot, age
        self.max_requests = config.limit_max_requests  # gunicorn's, its jitter added
        self.told_to_go: float | None = None
        self.asked_for_successor = 0.0

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        self.slots.now_accepting(self.slot, self.age)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """A reload's SIGTERM starts the hand-over; gunicorn repeats it once its own wait for the old workers
        (graceful_timeout) is over, which changes nothing: on_tick lets the worker go."""
        if sig == signal.SIGTERM and self.slots.replaced_by_reload(self.age):
            if self.told_to_go is None:
                self.told_to_go = time.monotonic()
            return
        super().handle_exit(sig, frame)

    async def on_tick(self, counter: int) -> bool:
        served = self.server_state.total_requests
        if self.max_requests is not None and served >= self.max_requests and self.told_to_go is None:
            logger.info("Maximum request limit of %d exceeded: handing the slot over.", self.max_requests)
            self.told_to_go = time.monotonic()
            self.slots.recycle(self.slot, self.age)
        if self.told_to_go is not None and not self.should_exit:
            now = time.monotonic()
            waited, asked = now - self.told_to_go, now - self.asked_for_successor
            if self.slots.successor_accepting(self.slot, self.age) or waited > HANDOVER_SECONDS:
                super().handle_exit(signal.SIGTERM, None)
            elif self.slots.needs_successor(self.slot) and asked > ASK_AGAIN_SECONDS:
                os.kill(os.getppid(), signal.SIGTTIN)  # one worker more; the master assigns it this slot
                self.asked_for_successor = now
        return await super().on_tick(counter)


class Worker(UvicornWorker):
    """The worker class the image runs (gunicorn_conf.py names it)."""

    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {"loop": "auto", "http": f"{__name__}:DrainingHttp"}

    async def _serve(self) -> None:
        slots: Slots | None = getattr(self, "slots", None)  # set by the master before the fork (slots.py)
        self.config.app = self.wsgi
        server = (
            HandingOverServer(self.config, slots, self.slot, self.age)
            if slots
            else Server(config=self.config)
        )
        self._install_sigquit_handler()
        await server.serve(sockets=self.sockets)
        if not server.started:
            sys.exit(Arbiter.WORKER_BOOT_ERROR)
