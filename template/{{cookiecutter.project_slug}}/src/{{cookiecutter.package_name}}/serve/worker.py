"""The gunicorn worker of the serving image: uvicorn's, except that a retiring worker answers the requests
its clients have already sent.

A reload (SIGHUP to the master), a worker recycled after `max_requests` and a stop (SIGTERM) retire workers
while clients keep sending on their keep-alive connections. uvicorn's own worker closes the idle ones at once,
so a request a client had just sent on one was never answered. `DrainingHttp` keeps them open: the next
request on each is answered, with `Connection: close` (the client reconnects, to a worker that stays), and a
connection that stays idle closes after the keep-alive timeout, as it would have anyway. The connections not
yet accepted are gunicorn_conf.py's part.
"""

from __future__ import annotations

from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn_worker import UvicornWorker


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


class Worker(UvicornWorker):
    """The worker class the image runs: `--worker-class <package>.serve.worker.Worker`."""

    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {"loop": "auto", "http": f"{__name__}:DrainingHttp"}
